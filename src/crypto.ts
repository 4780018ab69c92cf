import { createHmac, hash, timingSafeEqual } from 'node:crypto';

/**
 * Hashing, HMAC and constant-time comparison, in one place, so every secret is compared the same
 * way. Keys and recovery codes are stored as SHA-256 digests; webhook signatures are HMAC-SHA256.
 */

/** SHA-256 as hex, with the one-shot digest (no Hash object per call: this runs on every request). */
export const sha256Hex = (value: string): string => hash('sha256', value, 'hex');

/** SHA-256 as base64url, e.g. for an ETag. */
export const sha256Base64Url = (value: string | Buffer): string => hash('sha256', value, 'base64url');

/** Equal strings, in time that depends on neither value (both are hashed to 32 bytes first). */
export function constantTimeEqual(a: string, b: string): boolean {
  return timingSafeEqual(hash('sha256', a, 'buffer'), hash('sha256', b, 'buffer'));
}

export const hmacSha256 = (secret: string, data: string | Buffer, encoding: 'hex' | 'base64'): string =>
  createHmac('sha256', secret).update(data).digest(encoding);

/** Equal signatures, compared in constant time after a length check (a different length is unequal). */
export function signaturesEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
