import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RateLimiter, RedisCounterStore } from '../../src/services/limits/rate-limiter.js';
import { REDIS_SKIP_REASON, redisAvailable } from '../support/server.js';

/**
 * The Redis counter store sends the takes of one event-loop turn as one script call; each take must
 * still be its own atomic step, in order, whatever else shares the call.
 */
describe.skipIf(!redisAvailable())(`Redis counters, coalesced per turn (${REDIS_SKIP_REASON})`, () => {
  const clients: Redis[] = [];
  const limiter = () => {
    const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: 1 });
    clients.push(redis);
    return new RateLimiter(new RedisCounterStore(redis));
  };
  const bucket = (label: string) => `test:${label}:${process.pid}:${Math.random().toString(36).slice(2)}`;
  let a: RateLimiter;
  let b: RateLimiter;
  beforeAll(() => {
    a = limiter();
    b = limiter();
  });
  afterAll(() => clients.forEach((c) => c.disconnect()));

  it('150 takes at once from two stores: exactly 60 allowed, each with its own count', async () => {
    const key = bucket('exact');
    const results = await Promise.all(Array.from({ length: 150 }, (_, i) => (i % 2 ? a : b).take(key, 1, 60)));
    const allowed = results.filter((r) => r.allowed);
    expect(allowed).toHaveLength(60);
    expect(allowed.map((r) => r.used).sort((x, y) => x - y)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(results.filter((r) => !r.allowed).every((r) => r.used === 60 && r.remaining === 0)).toBe(true);
  });

  it('stays exact for a turn of 1,200 takes, more than one script call holds', async () => {
    const key = bucket('large');
    const results = await Promise.all(Array.from({ length: 1_200 }, () => a.take(key, 1, 1_000)));
    expect(results.filter((r) => r.allowed)).toHaveLength(1_000);
    expect(new Set(results.filter((r) => r.allowed).map((r) => r.used)).size).toBe(1_000);
  });

  it('keeps counters, costs and limits apart within one call, and a cost of 0 only reads', async () => {
    const [x, y] = [bucket('x'), bucket('y')];
    const results = await Promise.all([a.take(x, 2, 5), a.take(y, 1, 1), a.take(x, 2, 5), a.take(y, 1, 1), a.take(x, 2, 5), a.take(x, 0, 5)]);
    expect(results.map((r) => [r.allowed, r.used])).toEqual([
      [true, 2],
      [true, 1],
      [true, 4],
      [false, 1],
      [false, 4],
      [true, 4],
    ]);
    // The window's counter expires by itself after two windows.
    const ttl = await clients[0]!.pttl(`stellar:rl:${x}:${Math.floor(Date.now() / 60_000) * 60_000}`);
    expect(ttl).toBeGreaterThan(60_000);
    expect(ttl).toBeLessThanOrEqual(120_000);
  });

  it('rejects every take of the call when Redis cannot answer', async () => {
    const down = new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true, retryStrategy: () => null });
    clients.push(down);
    const store = new RateLimiter(new RedisCounterStore(down));
    const results = await Promise.allSettled([store.take(bucket('down'), 1, 10), store.take(bucket('down'), 1, 10)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
