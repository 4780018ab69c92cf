import { afterAll, describe, expect, it } from 'vitest';
import { createClient, MeDocument, RevokeApiKeyDocument, UnauthenticatedError } from '../../sdk/index.js';
import { registerUser } from '../support/accounts.js';
import pg from 'pg';
import { fileDatabase, SHARED_DATABASE_SKIP_REASON, sharedDatabaseAvailable } from '../support/database.js';
import { REDIS_SKIP_REASON, redisAvailable } from '../support/server.js';
import { eventually } from '../support/eventually.js';
import { spawnServer, type SpawnedServer } from '../support/spawn.js';

const started: SpawnedServer[] = [];
afterAll(async () => {
  await Promise.all(started.map((s) => s.stop()));
});

async function twoInstances(redis: boolean) {
  const [a, b] = await Promise.all([spawnServer({ redis }), spawnServer({ redis })]);
  started.push(a!, b!);
  return [a!, b!] as const;
}

async function revokedOnOtherInstanceWithin(redis: boolean): Promise<number> {
  const [a, b] = await twoInstances(redis);
  const user = await registerUser({ client: (key) => createClient({ url: a.graphqlUrl, apiKey: key }) });
  const onB = createClient({ url: b.graphqlUrl, apiKey: user.secret });
  expect((await onB.request(MeDocument)).me.id).toBe(user.id); // B has the key cached as valid

  await user.client.request(RevokeApiKeyDocument, { id: user.keyId });
  const revokedAt = Date.now();
  for (;;) {
    const refused = await onB.request(MeDocument).then(() => false, (e: unknown) => e instanceof UnauthenticatedError);
    if (refused) return Date.now() - revokedAt;
    if (Date.now() - revokedAt > 5_000) throw new Error('instance B still accepts the revoked key after 5 s');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.skipIf(!sharedDatabaseAvailable())(`key revocation across instances (${SHARED_DATABASE_SKIP_REASON})`, () => {
  it('a key revoked through one instance is refused by the other within 1 second (PostgreSQL NOTIFY)', async () => {
    expect(await revokedOnOtherInstanceWithin(false)).toBeLessThan(1_000);
  });

  it.skipIf(!redisAvailable())(`the same through Redis pub/sub (${REDIS_SKIP_REASON})`, async () => {
    expect(await revokedOnOtherInstanceWithin(true)).toBeLessThan(1_000);
  });
});

/** Backends LISTENing on the cache channel in the test file's database. */
async function listeners(sql: (q: string) => Promise<{ pid: number }[]>): Promise<number[]> {
  return (await sql(`select pid from pg_stat_activity where datname = current_database() and query = 'LISTEN stellar_cache'`)).map((r) => r.pid);
}

describe.skipIf(!sharedDatabaseAvailable())(`key revocation while the revoking instance cannot listen (${SHARED_DATABASE_SKIP_REASON})`, () => {
  it('reaches the other instance within 1 second: the NOTIFY travels with the revoking transaction', async () => {
    const admin = new pg.Client({ connectionString: await fileDatabase() });
    await admin.connect();
    const sql = async (q: string, params: unknown[] = []) => (await admin.query(q, params)).rows as { pid: number }[];
    try {
      // A first, so that the one new listening connection is A's; then B. (Other tests' instances
      // in this file listen too.)
      const others = await listeners(sql);
      const newListeners = async () => (await listeners(sql)).filter((pid) => !others.includes(pid));
      const a = await spawnServer();
      started.push(a);
      await eventually(async () => (await newListeners()).length === 1, 'A listening', { timeoutMs: 10_000, pollMs: 20 });
      const [aListener] = await newListeners();
      const b = await spawnServer();
      started.push(b);
      await eventually(async () => (await newListeners()).length === 2, 'B listening', { timeoutMs: 10_000, pollMs: 20 });
      const bListener = (await newListeners()).find((pid) => pid !== aListener)!;

      const user = await registerUser({ client: (key) => createClient({ url: a.graphqlUrl, apiKey: key }) });
      const onB = createClient({ url: b.graphqlUrl, apiKey: user.secret });
      expect((await onB.request(MeDocument)).me.id).toBe(user.id); // B has the key cached as valid

      // Kill A's listening connection; A reconnects a second later. Revoke through A meanwhile.
      await sql(`select pg_terminate_backend($1)`, [aListener]);
      await eventually(async () => !(await listeners(sql)).includes(aListener!), 'A listener gone', { timeoutMs: 10_000, pollMs: 20 });
      expect((await newListeners()).filter((pid) => pid !== bListener)).toEqual([]); // A not listening again yet
      await user.client.raw(RevokeApiKeyDocument, { id: user.keyId });
      const revokedAt = Date.now();
      for (;;) {
        const refused = await onB.request(MeDocument).then(() => false, (e: unknown) => e instanceof UnauthenticatedError);
        if (refused) break;
        if (Date.now() - revokedAt > 3_000) throw new Error('instance B still accepts the revoked key after 3 s');
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(Date.now() - revokedAt).toBeLessThan(1_000);
    } finally {
      await admin.end();
    }
  });
});
