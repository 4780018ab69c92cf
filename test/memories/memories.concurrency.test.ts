import { afterAll, describe, expect, it } from 'vitest';
import { createClient, CreateAgentDocument, QuotaExceededError, RecallMemoriesDocument, StoreMemoriesDocument, StoreMemoryDocument, type StellarClient } from '../../sdk/index.js';
import { Tier } from '../../src/entities/enums.js';
import { grantTier, registerUser, type TestUser } from '../support/accounts.js';
import { SHARED_DATABASE_SKIP_REASON, sharedDatabaseAvailable } from '../support/database.js';
import { counter, rowCount, seedMemories, termStatisticsDrift } from '../support/memories.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { spawnServer, type SpawnedServer } from '../support/spawn.js';

/**
 * The quota and the deduplication hold under concurrency: in one process, and (with a shared
 * PostgreSQL) across two server processes, each taking every other request.
 */

interface Setup {
  sql: TestServer['sql'];
  rt: TestServer['rt'];
  /** Clients for one key, one per server instance. */
  clientsFor(user: TestUser): StellarClient[];
  register(): Promise<TestUser>;
}

const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

async function inProcess(): Promise<Setup> {
  const server = await startTestServer();
  closers.push(() => server.close());
  return { sql: server.sql, rt: server.rt, clientsFor: (user) => [user.client], register: () => registerUser(server) };
}

async function twoProcesses(): Promise<Setup> {
  // The in-process server is only the test's handle on the shared database (SQL, grants).
  const local = await inProcess();
  const instances: SpawnedServer[] = await Promise.all([spawnServer(), spawnServer()]);
  closers.push(...instances.map((instance) => () => instance.stop()));
  const clientsFor = (user: TestUser) => instances.map((instance) => createClient({ url: instance.graphqlUrl, apiKey: user.secret }));
  return {
    ...local,
    clientsFor,
    register: () => registerUser({ client: (key) => createClient({ url: instances[0]!.graphqlUrl, apiKey: key }) }),
  };
}

const settle = <T>(count: number, clients: StellarClient[], call: (client: StellarClient, i: number) => Promise<T>) =>
  Promise.allSettled(Array.from({ length: count }, (_, i) => call(clients[i % clients.length]!, i)));

function outcomes(results: PromiseSettledResult<unknown>[]) {
  const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  return { stored: results.length - refused.length, refused: refused.length, reasons: refused.map((r) => r.reason as Error) };
}

function concurrencyTests(label: string, setup: () => Promise<Setup>) {
  describe(label, () => {
    let env: Setup;
    it('50 concurrent stores by a FREE account 10 below its cap store exactly 10; the counter equals the rows', async () => {
      env ??= await setup();
      const user = await env.register();
      await seedMemories(env.sql, user.id, 4_990);
      const results = await settle(50, env.clientsFor(user), (client, i) => client.request(StoreMemoryDocument, { input: { content: `race ${i}` } }));
      const { stored, refused, reasons } = outcomes(results);
      expect([stored, refused]).toEqual([10, 40]);
      for (const reason of reasons) expect(reason).toBeInstanceOf(QuotaExceededError);
      expect(await rowCount(env.sql, user.id, 'memories')).toBe(5_000);
      expect(await counter(env.sql, user.id, 'MEMORIES')).toBe(5_000);
      expect(await termStatisticsDrift(env.sql)).toEqual([]);
    });

    it.each<[string, (client: StellarClient, i: number) => Promise<unknown>, number]>([
      ['createAgent calls', (client, i) => client.request(CreateAgentDocument, { name: `agent-${i}` }), 0],
      ['stores into new agents', (client, i) => client.request(StoreMemoryDocument, { input: { content: 'hello', agent: `bot-${i}` } }), 4],
    ])('50 concurrent %s by a PRO account with room for 4 more agents create exactly 4', async (_label, call, memories) => {
      env ??= await setup();
      const user = await env.register();
      await grantTier(env, user.id, Tier.PRO);
      const { stored, reasons } = outcomes(await settle(50, env.clientsFor(user), call));
      expect(stored).toBe(4);
      for (const reason of reasons) expect([reason instanceof QuotaExceededError, (reason as QuotaExceededError).resource]).toEqual([true, 'AGENTS']);
      expect([await rowCount(env.sql, user.id, 'agents'), await counter(env.sql, user.id, 'AGENTS')]).toEqual([5, 5]);
      expect([await rowCount(env.sql, user.id, 'memories'), await counter(env.sql, user.id, 'MEMORIES')]).toEqual([memories, memories]);
      expect(await termStatisticsDrift(env.sql)).toEqual([]);
    });

    it('40 concurrent stores of 20 contents (each twice) with room for 10: every answer names a memory that exists', async () => {
      env ??= await setup();
      const user = await env.register();
      await seedMemories(env.sql, user.id, 4_990);
      const results = await settle(40, env.clientsFor(user), (client, i) => client.request(StoreMemoryDocument, { input: { content: `pair ${i % 20}` } }));
      const answered = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.storeMemory] : []));
      const { reasons } = outcomes(results);
      for (const reason of reasons) expect(reason).toBeInstanceOf(QuotaExceededError);
      const stored = await env.sql<{ id: string; content: string }>(`select id, content from memories where user_id = ? and content like 'pair %'`, [user.id]);
      expect(stored).toHaveLength(10);
      // Each answer (fresh or deduplicated) points at one of the stored memories, with its content.
      const byId = new Map(stored.map((m) => [m.id, m.content]));
      for (const answer of answered) expect(byId.get(answer.memory.id)).toBe(answer.memory.content);
      expect(answered.filter((a) => !a.deduped)).toHaveLength(10);
      expect([await rowCount(env.sql, user.id, 'memories'), await counter(env.sql, user.id, 'MEMORIES')]).toEqual([5_000, 5_000]);
      expect(await termStatisticsDrift(env.sql)).toEqual([]);
    });

    it('60 concurrent recalls ranking the same memories in different orders all answer, and each counts once per hit', async () => {
      env ??= await setup();
      const user = await env.register();
      await grantTier(env, user.id, Tier.TEAM);
      // Enough memories that the planner finds the hits by id, in each recall's own order.
      await seedMemories(env.sql, user.id, 3_000);
      await env.sql('analyze memories');
      const fruits = ['apple', 'banana', 'cherry', 'damson', 'elder', 'fig'];
      const fruit = (i: number) => fruits[i % fruits.length]!;
      // Memory i holds fruit i three times, the next twice, the one after once: each two-fruit query ranks the memories its own way.
      await user.client.request(StoreMemoriesDocument, {
        inputs: fruits.map((_, i) => ({ content: `basket ${i}: ${fruit(i)} ${fruit(i)} ${fruit(i)} ${fruit(i + 1)} ${fruit(i + 1)} ${fruit(i + 2)}` })),
      });
      const queries = fruits.map((_, i) => `${fruit(i)} ${fruit(i + 3)}`);
      const results = await settle(60, env.clientsFor(user), (client, i) => client.request(RecallMemoriesDocument, { input: { query: queries[i % queries.length]!, limit: 6 } }));
      expect(outcomes(results).reasons).toEqual([]);
      const hits = results.reduce((sum, r) => sum + (r.status === 'fulfilled' ? r.value.recallMemories.length : 0), 0);
      const [counted] = await env.sql<{ n: number }>(`select sum(r.recall_count)::int as n from memory_recalls r join memories m on m.id = r.memory_id where m.user_id = ?`, [user.id]);
      expect(counted!.n).toBe(hits);
    });

    it('20 concurrent stores of identical content leave one memory: one store, the rest deduped', async () => {
      env ??= await setup();
      const user = await env.register();
      const results = await settle(20, env.clientsFor(user), (client, i) =>
        client.request(StoreMemoryDocument, { input: { content: 'The same sentence, twenty times', importance: (i + 1) / 20 } }),
      );
      const values = results.map((r) => {
        if (r.status === 'rejected') throw r.reason;
        return r.value.storeMemory;
      });
      expect(new Set(values.map((v) => v.memory.id)).size).toBe(1);
      expect(values.filter((v) => !v.deduped)).toHaveLength(1);
      expect([await rowCount(env.sql, user.id, 'memories'), await counter(env.sql, user.id, 'MEMORIES')]).toEqual([1, 1]);
      const [row] = await env.sql<{ importance: number }>(`select importance from memories where user_id = ?`, [user.id]);
      expect(row!.importance).toBe(1); // the largest of the twenty
      expect(await termStatisticsDrift(env.sql)).toEqual([]);
    });
  });
}

concurrencyTests('concurrency within one server', inProcess);
describe.skipIf(!sharedDatabaseAvailable())(`across two server processes (${SHARED_DATABASE_SKIP_REASON})`, () => {
  concurrencyTests('two instances on one database', twoProcesses);
});
