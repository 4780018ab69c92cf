import { hash, timingSafeEqual } from 'node:crypto';

/** SHA-256 as hex, with the one-shot digest (no Hash object per call: this runs on every request). */
export const sha256Hex = (value: string): string => hash('sha256', value, 'hex');

/** Equal strings, in time that depends on neither value (both are hashed to 32 bytes first). */
export function constantTimeEqual(a: string, b: string): boolean {
  return timingSafeEqual(hash('sha256', a, 'buffer'), hash('sha256', b, 'buffer'));
}
