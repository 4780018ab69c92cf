import { WINDOW_MS } from '../../src/services/limits/rate-limiter.js';

/**
 * Rate limits use fixed 60-second windows. A test that counts within one window waits, when the
 * current window has less than `needMs` left, for the next one to begin.
 */
export async function freshWindow(needMs = 15_000): Promise<void> {
  const left = WINDOW_MS - (Date.now() % WINDOW_MS);
  if (left < needMs) await new Promise((r) => setTimeout(r, left + 50));
}

/** Waits until the next window starts. */
export async function nextWindow(): Promise<void> {
  await new Promise((r) => setTimeout(r, WINDOW_MS - (Date.now() % WINDOW_MS) + 50));
}
