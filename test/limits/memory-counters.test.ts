import { describe, expect, it } from 'vitest';
import { MemoryCounterStore, RateLimiter, WINDOW_MS } from '../../src/services/limits/rate-limiter.js';

/**
 * The in-memory store (one embedded server) counts at call time and answers a turn's takes together
 * after it; the count must stay exact and in call order, and nothing may be answered early.
 */
describe('memory counters, answered per turn', () => {
  it('150 takes in one turn: exactly 60 allowed, numbered in call order', async () => {
    const limiter = new RateLimiter(new MemoryCounterStore());
    const results = await Promise.all(Array.from({ length: 150 }, () => limiter.take('user:a', 1, 60)));
    expect(results.slice(0, 60).map((r) => [r.allowed, r.used])).toEqual(Array.from({ length: 60 }, (_, i) => [true, i + 1]));
    expect(results.slice(60).every((r) => !r.allowed && r.used === 60 && r.remaining === 0)).toBe(true);
  });

  it('answers after the current turn, never inside it, and counts before answering', async () => {
    const store = new MemoryCounterStore();
    const order: string[] = [];
    const windowStart = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS;
    const first = store.take('user:b', windowStart, 2, 5).then((r) => order.push(`take ${r.used}`));
    // Counted already: a read in the same turn sees the units.
    const read = store.take('user:b', windowStart, 0, 5).then((r) => order.push(`read ${r.used}`));
    await Promise.resolve();
    order.push('same turn');
    await Promise.all([first, read]);
    expect(order).toEqual(['same turn', 'take 2', 'read 2']);
  });

  it('keeps buckets, costs and windows apart; a new window starts from zero', async () => {
    const limiter = new RateLimiter(new MemoryCounterStore());
    const now = Date.now();
    const results = await Promise.all([
      limiter.take('x', 3, 5, now),
      limiter.take('y', 1, 1, now),
      limiter.take('x', 3, 5, now),
      limiter.take('y', 1, 1, now),
      limiter.take('x', 3, 5, now + WINDOW_MS),
    ]);
    expect(results.map((r) => [r.allowed, r.used])).toEqual([
      [true, 3],
      [true, 1],
      [false, 3],
      [false, 1],
      [true, 3],
    ]);
  });
});
