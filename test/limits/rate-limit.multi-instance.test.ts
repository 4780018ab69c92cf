import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { CACHE_CHANNEL, encodeCacheMessage } from '../../src/cache/cache-bus.js';
import { createClient, type RawResponse } from '../../sdk/index.js';
import { registerUser } from '../support/accounts.js';
import { fileDatabase, SHARED_DATABASE_SKIP_REASON, sharedDatabaseAvailable } from '../support/database.js';
import { freshWindow, nextWindow } from '../support/limits.js';
import { REDIS_SKIP_REASON, redisAvailable } from '../support/server.js';
import { spawnServer, type SpawnedServer } from '../support/spawn.js';
import { query } from '../support/sql.js';

/**
 * Issue 3 point 1: two server processes share one PostgreSQL (then also Redis); a user's budget is
 * exact across both under concurrency.
 */

const started: SpawnedServer[] = [];
afterAll(() => Promise.all(started.map((s) => s.stop())));

const AGENTS = '{ agents { name } }';

async function fireSplit(instances: SpawnedServer[], secret: string, count: number) {
  const clients = instances.map((s) => createClient({ url: s.graphqlUrl, apiKey: secret }));
  return Promise.all(Array.from({ length: count }, (_, i) => clients[i % clients.length]!.raw(AGENTS)));
}

function tally(responses: RawResponse<unknown>[]) {
  const ok = responses.filter((r) => r.status === 200 && r.errors.length === 0);
  const refused = responses.filter((r) => r.status === 429);
  return { ok, refused, other: responses.length - ok.length - refused.length };
}

function expectConsistentHeaders(ok: RawResponse<unknown>[], refused: RawResponse<unknown>[], limit: number) {
  const remaining = ok.map((r) => Number(r.headers.get('x-ratelimit-remaining'))).sort((a, b) => a - b);
  // Every unit is handed out exactly once: the successes saw each remaining count from limit-1 down to 0.
  expect(remaining).toEqual(Array.from({ length: limit }, (_, i) => i));
  const resets = new Set([...ok, ...refused].map((r) => r.headers.get('x-ratelimit-reset')));
  expect(resets.size).toBe(1);
  const reset = Number([...resets][0]);
  expect(reset % 60).toBe(0);
  for (const r of [...ok, ...refused]) expect(Number(r.headers.get('x-ratelimit-limit'))).toBe(limit);
  for (const r of refused) {
    expect(r.errors[0]!.extensions!.code).toBe('RATE_LIMITED');
    const retryAfter = Number(r.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(r.errors[0]!.extensions!.retryAfterSeconds).toBe(retryAfter);
  }
}

async function exactAcrossInstances(redis: boolean) {
  const instances = await Promise.all([spawnServer({ redis }), spawnServer({ redis })]);
  started.push(...instances);
  const url = await fileDatabase();
  const free = await registerUser({ client: (key) => createClient({ url: instances[0]!.graphqlUrl, apiKey: key }) });
  const pro = await registerUser({ client: (key) => createClient({ url: instances[1]!.graphqlUrl, apiKey: key }) });
  // A grant, announced on the invalidation channel the way every change of plan is, so both
  // instances drop the FREE tier they may have cached while answering `register`.
  await query(url, `insert into grants (id, user_id, tier, reason) values (gen_random_uuid(), $1, 'PRO', 'test')`, [pro.id]);
  const message = encodeCacheMessage({ topic: 'entitlement', id: pro.id });
  if (redis) {
    const publisher = new Redis(inject('redisUrl'));
    await publisher.publish(CACHE_CHANNEL, message);
    publisher.disconnect();
  } else {
    await query(url, `select pg_notify($1, $2)`, [CACHE_CHANNEL, message]);
  }

  await freshWindow(25_000);
  const freeRound = tally(await fireSplit(instances, free.secret, 150));
  expect([freeRound.ok.length, freeRound.refused.length, freeRound.other]).toEqual([60, 90, 0]);
  expectConsistentHeaders(freeRound.ok, freeRound.refused, 60);

  const proRound = tally(await fireSplit(instances, pro.secret, 400));
  expect([proRound.ok.length, proRound.refused.length, proRound.other]).toEqual([300, 100, 0]);
  expectConsistentHeaders(proRound.ok, proRound.refused, 300);

  await nextWindow();
  const again = tally(await fireSplit(instances, free.secret, 70));
  expect([again.ok.length, again.refused.length]).toEqual([60, 10]);
}

describe.skipIf(!sharedDatabaseAvailable())(`exact rate limits across two instances (${SHARED_DATABASE_SKIP_REASON})`, () => {
  it('PostgreSQL counters: FREE gets exactly 60 of 150, PRO exactly 300 of 400, and the next window refills', { timeout: 180_000 }, async () => {
    await exactAcrossInstances(false);
  });

  it.skipIf(!redisAvailable())(`Redis counters: the same (${REDIS_SKIP_REASON})`, { timeout: 180_000 }, async () => {
    await exactAcrossInstances(true);
  });
});
