import type { EntityManager } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tier } from '../../src/entities/enums.js';
import { EmbeddingWorker } from '../../src/services/memories/embedding-worker.js';
import { startFakeEmbeddings, type FakeEmbeddings } from '../fakes/embeddings.js';
import { registerUserWithTier } from '../support/accounts.js';
import { seedMemories } from '../support/memories.js';
import { useTestServer } from '../support/server.js';

const DIM = 64;
const API_KEY = 'sk-worker-test';

let fake: FakeEmbeddings;
beforeAll(async () => {
  fake = await startFakeEmbeddings({ dim: DIM, apiKey: API_KEY });
});
// Registered before the server's: runs after it closes.
afterAll(() => fake?.close());
const ctx = useTestServer(() => ({ env: { EMBEDDINGS: 'remote', EMBEDDINGS_URL: fake.baseUrl, EMBEDDINGS_API_KEY: API_KEY, EMBEDDINGS_DIM: String(DIM) } }));

describe('the embedding worker under concurrency', () => {
  it("takes turns between its lanes when claiming, so memories stored together are embedded in one model call (a slow database made the lanes split them)", async () => {
    // Only the worker under test claims: the server's scheduled run stays out of the way.
    await ctx.server.rt.scheduler.stop();
    const user = await registerUserWithTier(ctx.server, Tier.PRO);
    await seedMemories(ctx.server.sql, user.id, 5, 'stored together');

    let claiming = 0;
    let mostAtOnce = 0;
    const slowClaims = (): EntityManager => {
      const em = ctx.server.rt.forkEm();
      const execute = em.execute.bind(em);
      em.execute = (async (sql: string, ...rest: unknown[]) => {
        if (!String(sql).includes('embedding_claimed_at = now()')) return execute(sql, ...(rest as []));
        mostAtOnce = Math.max(mostAtOnce, ++claiming);
        try {
          // A loaded database: a claim's statement takes a while, and a second lane's claim that
          // ran meanwhile would skip the rows the first holds and take the rest.
          await new Promise((resolve) => setTimeout(resolve, 30));
          return await execute(sql, ...(rest as []));
        } finally {
          claiming--;
        }
      }) as EntityManager['execute'];
      return em;
    };
    const worker = new EmbeddingWorker(slowClaims, ctx.server.rt.semantic, ctx.server.rt.logger);

    await worker.drain();

    expect(mostAtOnce).toBe(1);
    expect(fake.batchSizes()).toEqual([5]);
    expect(worker.embedded).toBe(5);
  });
});
