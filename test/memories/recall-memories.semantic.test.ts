import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RecallMemoriesDocument, StoreMemoriesDocument, StoreMemoryDocument, type RecallInput } from '../../sdk/index.js';
import { EMBED_JOB } from '../../src/jobs/memories.js';
import { Tier } from '../../src/entities/enums.js';
import { embedText, startFakeEmbeddings, type FakeEmbeddings } from '../fakes/embeddings.js';
import { registerUserWithTier, type TestUser } from '../support/accounts.js';
import { databaseMode, databaseWithoutPgvector, SHARED_DATABASE_SKIP_REASON, sharedDatabaseAvailable } from '../support/database.js';
import { seedMemories } from '../support/memories.js';
import { spawnServer } from '../support/spawn.js';
import { useTestServer } from '../support/server.js';

const DIM = 256;
const API_KEY = 'sk-embeddings-test';
const embeddingsEnv = () => ({ EMBEDDINGS: 'remote', EMBEDDINGS_URL: fake.baseUrl, EMBEDDINGS_API_KEY: API_KEY, EMBEDDINGS_DIM: String(DIM), PROVIDER_TIMEOUT_MS: '500' });

let fake: FakeEmbeddings;
beforeAll(async () => {
  fake = await startFakeEmbeddings({ dim: DIM, apiKey: API_KEY });
});
// Registered before the server's: runs after it closes.
afterAll(() => fake?.close());
const ctx = useTestServer(() => ({ env: embeddingsEnv() }));
beforeEach(() => fake.reset());

const proUser = () => registerUserWithTier(ctx.server, Tier.PRO);

const recall = async (user: TestUser, input: RecallInput) => {
  const response = await user.client.raw(RecallMemoriesDocument, { input });
  expect(response.errors).toEqual([]);
  return { hits: response.data!.recallMemories, warnings: (response.extensions.warnings ?? []) as { code: string }[] };
};
const hasEmbedding = async (id: string) =>
  (await ctx.server.sql<{ has: boolean }>(`select embedding is not null as has from memories where id = ?`, [id]))[0]!.has;
/** Lets the background embedding worker finish what the stores so far woke it for. */
const embedded = () => ctx.server.rt.embeddingWorker.drain();

describe('semantic recall with pgvector and EMBEDDINGS_URL', () => {
  it('finds a paraphrase that shares no word with the query, and nothing unrelated', async () => {
    const user = await proUser();
    await user.client.request(StoreMemoriesDocument, {
      inputs: [{ content: 'a fast car' }, { content: 'my physician bought a huge house' }, { content: 'the kitten sleeps on the sofa' }],
    });
    await embedded();
    const { hits, warnings } = await recall(user, { query: 'the automobile was quick' });
    expect(warnings).toEqual([]);
    expect(hits.map((h) => h.memory.content)).toEqual(['a fast car']);
    expect(hits[0]!.explanation).toMatchObject({ lexical: 0 });
    expect(hits[0]!.explanation.semantic).toBeGreaterThan(0.5);
    expect(hits[0]!.memory.recallCount).toBe(1);
  });

  it('fuses both signals: an exact match that is also semantically close ranks above a paraphrase', async () => {
    const user = await proUser();
    await user.client.request(StoreMemoriesDocument, { inputs: [{ content: 'quick automobile' }, { content: 'speedy sedan' }] });
    await embedded();
    const { hits } = await recall(user, { query: 'quick automobile' });
    expect(hits.map((h) => h.memory.content)).toEqual(['quick automobile', 'speedy sedan']);
    expect(hits[0]!.relevance).toBeGreaterThan(hits[1]!.relevance);
  });

  it('never makes a store wait on the model: the worker embeds a storeMemories batch after the answer, in one API call with the configured key and model', async () => {
    const user = await proUser();
    fake.fail('stall');
    const started = Date.now();
    const { storeMemories } = await user.client.request(StoreMemoriesDocument, { inputs: Array.from({ length: 5 }, (_, i) => ({ content: `batch fact ${i}` })) });
    expect(Date.now() - started).toBeLessThan(400); // the API stalls for PROVIDER_TIMEOUT_MS (500 ms)
    await embedded();
    expect(await hasEmbedding(storeMemories[0]!.memory.id)).toBe(false);
    fake.reset();
    await ctx.server.rt.scheduler.runNow(EMBED_JOB);
    for (const { memory } of storeMemories) expect(await hasEmbedding(memory.id)).toBe(true);
    expect(fake.batchSizes()).toEqual([5]);
    expect(fake.requests[0]!.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(fake.requests[0]!.body).toMatchObject({ model: 'text-embedding-3-small' });
  });

  it('uses embeddings the client sends instead of calling the API', async () => {
    const user = await proUser();
    await user.client.request(StoreMemoryDocument, { input: { content: 'zq-17 record', embedding: embedText('a fast car', DIM) } });
    const { hits } = await recall(user, { query: 'nothing in common', embedding: embedText('the automobile was quick', DIM) });
    expect(hits.map((h) => h.memory.content)).toEqual(['zq-17 record']);
    expect(fake.requests).toEqual([]);
  });

  it('keeps every filter and the user boundary inside the vector search', async () => {
    const [alice, bob] = [await proUser(), await proUser()];
    await alice.client.request(StoreMemoriesDocument, {
      inputs: [{ content: 'a fast car', agent: 'garage', tags: ['vehicle'], metadata: { kind: 'note' }, importance: 0.9, occurredAt: '2024-03-01T00:00:00Z' }],
    });
    // Bob holds the very same memory: a neighbour of Alice's query in every way, and never hers.
    await bob.client.request(StoreMemoriesDocument, { inputs: [{ content: 'a fast car' }, { content: 'a quick automobile' }] });
    await embedded();
    const query = 'the automobile was quick';
    const mine = (await recall(alice, { query })).hits;
    expect(mine.map((h) => h.memory.agent)).toEqual(['garage']);
    const outside = [{ agent: 'default' }, { tags: ['vehicle', 'other'] }, { metadata: { kind: 'todo' } }, { minImportance: 0.95 }, { occurredAfter: '2024-03-02T00:00:00Z' }, { occurredBefore: '2024-03-01T00:00:00Z' }];
    for (const filters of outside) {
      expect((await recall(alice, { query, ...filters })).hits, JSON.stringify(filters)).toEqual([]);
      expect((await recall(alice, { query: 'x', embedding: embedText('a fast car', DIM), ...filters })).hits, JSON.stringify(filters)).toEqual([]);
    }
    const inside = { agent: 'garage', tags: ['vehicle'], metadata: { kind: 'note' }, minImportance: 0.9, occurredAfter: '2024-03-01T00:00:00Z', occurredBefore: '2024-03-02T00:00:00Z' };
    expect((await recall(alice, { query, ...inside })).hits).toHaveLength(1);
    expect((await recall(alice, { query: 'x', embedding: embedText('a fast car', DIM) })).hits.map((h) => h.memory.id)).toEqual([mine[0]!.memory.id]);
    expect((await recall(bob, { query })).hits.map((h) => h.memory.agent)).toEqual(['default', 'default']);
  });

  it('when the API fails: stores as usual, recalls by words and says so, and the worker embeds later', async () => {
    const user = await proUser();
    fake.fail('error500');
    const stored = await user.client.raw(StoreMemoryDocument, { input: { content: 'a fast car' } });
    expect(stored.errors).toEqual([]);
    expect(stored.extensions.warnings ?? []).toEqual([]);
    const id = stored.data!.storeMemory.memory.id;
    await embedded();
    expect(await hasEmbedding(id)).toBe(false);

    const during = await recall(user, { query: 'the automobile was quick' });
    expect(during.hits).toEqual([]);
    expect(during.warnings.map((w) => w.code)).toEqual(['EMBEDDINGS_UNAVAILABLE']);
    const lexical = await recall(user, { query: 'fast cars' });
    expect(lexical.hits.map((h) => h.memory.id)).toEqual([id]); // words still match
    expect(lexical.warnings.map((w) => w.code)).toEqual(['EMBEDDINGS_UNAVAILABLE']);

    fake.reset();
    await ctx.server.rt.scheduler.runNow(EMBED_JOB);
    expect(await hasEmbedding(id)).toBe(true);
    expect((await recall(user, { query: 'the automobile was quick' })).hits.map((h) => h.memory.id)).toEqual([id]);
  });

  it('answers a recall by words when the API does not answer within PROVIDER_TIMEOUT_MS', async () => {
    const user = await proUser();
    await user.client.request(StoreMemoryDocument, { input: { content: 'stalled store' } });
    fake.fail('stall');
    const started = Date.now();
    const { hits, warnings } = await recall(user, { query: 'stalled' });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(hits.map((h) => h.memory.content)).toEqual(['stalled store']);
    expect(warnings.map((w) => w.code)).toEqual(['EMBEDDINGS_UNAVAILABLE']);
  });

  it('treats vectors of the wrong dimension from the API as a failure, never storing them', async () => {
    const user = await proUser();
    fake.setDimension(DIM / 2);
    const stored = await user.client.raw(StoreMemoryDocument, { input: { content: 'half-size vector' } });
    await ctx.server.rt.scheduler.runNow(EMBED_JOB);
    expect(await hasEmbedding(stored.data!.storeMemory.memory.id)).toBe(false);
    expect(fake.batchSizes().length).toBeGreaterThan(0);
  });

  it('searches vectors on every connection with iterative HNSW scans and ef_search 50, so filters never starve a scan', async () => {
    // Several connections of the server's pool, each asked at once.
    const settings = await Promise.all(
      Array.from({ length: 4 }, () => ctx.server.sql<{ ef: string; scan: string }>(`select current_setting('hnsw.ef_search') as ef, current_setting('hnsw.iterative_scan') as scan, pg_sleep(0.05)`)),
    );
    expect(new Set(settings.map(([row]) => `${row!.ef} ${row!.scan}`))).toEqual(new Set(['50 relaxed_order']));
  });

  it('embeds a backlog two batches at a time, so both threads of the built-in model work on it', async () => {
    const user = await proUser();
    await seedMemories(ctx.server.sql, user.id, 200, 'backlog');
    fake.setLatency(100);
    await ctx.server.rt.embeddingWorker.drain();
    expect(fake.maxInFlight()).toBe(2);
    expect((await ctx.server.sql<{ n: number }>(`select count(*)::int as n from memories where user_id = ? and embedding is null`, [user.id]))[0]!.n).toBe(0);
  });

  it('on an idle server, finds a memory by meaning within 1 s of its store being answered', async () => {
    const user = await proUser();
    await ctx.server.rt.scheduler.runNow(EMBED_JOB); // idle and healthy: nothing left from the tests before
    await user.client.request(StoreMemoryDocument, { input: { content: 'my physician bought a huge house' } });
    const answered = Date.now();
    let found: string[] = [];
    while (Date.now() - answered < 1_000 && found.length === 0) {
      found = (await recall(user, { query: 'the doctor purchased an enormous residence' })).hits.map((h) => h.memory.content);
    }
    expect(found).toEqual(['my physician bought a huge house']);
  });
});

describe('with EMBEDDINGS=off', () => {
  const lexicalOnly = useTestServer(() => ({ env: { ...embeddingsEnv(), EMBEDDINGS: 'off' } }));

  it('recalls by words only, ignores a given embedding with a warning, and never calls an embeddings API', async () => {
    const user = await registerUserWithTier(lexicalOnly.server, Tier.PRO);
    const stored = await user.client.raw(StoreMemoryDocument, { input: { content: 'Dana prefers to be contacted by email', embedding: embedText('email', DIM) } });
    expect(stored.errors).toEqual([]);
    expect(stored.extensions.warnings).toEqual([expect.objectContaining({ code: 'VECTOR_SEARCH_UNAVAILABLE', message: expect.stringContaining('EMBEDDINGS=off') })]);
    const response = await user.client.raw(RecallMemoriesDocument, { input: { query: 'How should I contact Dana?' } });
    expect(response.data!.recallMemories.map((h) => [h.memory.content, h.explanation.semantic])).toEqual([['Dana prefers to be contacted by email', null]]);
    expect(response.extensions.warnings ?? []).toEqual([]);
    expect(lexicalOnly.server.rt.semantic.canEmbed).toBe(false);
    expect(fake.requests).toEqual([]);
  });
});

describe.skipIf(!sharedDatabaseAvailable())(`two instances embedding one backlog (${SHARED_DATABASE_SKIP_REASON})`, () => {
  it('embed every memory stored before a model existed exactly once between them', async () => {
    const user = await proUser();
    await seedMemories(ctx.server.sql, user.id, 300, 'stored before the model');
    fake.setLatency(150); // a slow model: both instances are at it at once
    const instances = await Promise.all([spawnServer({ env: embeddingsEnv() }), spawnServer({ env: embeddingsEnv() })]);
    try {
      const pending = async () => (await ctx.server.sql<{ n: number }>(`select count(*)::int as n from memories where user_id = ? and embedding is null`, [user.id]))[0]!.n;
      const deadline = Date.now() + 30_000;
      while ((await pending()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(await pending()).toBe(0);
      // Each memory went to the API once: the instances claimed different ones.
      const sent = fake.requests.flatMap((r) => (r.body as { input: string[] }).input).filter((text) => text.startsWith('stored before the model'));
      expect(sent).toHaveLength(300);
      expect(new Set(sent).size).toBe(300);
    } finally {
      await Promise.all(instances.map((instance) => instance.stop()));
    }
  });
});

describe.skipIf(databaseMode() === 'embedded')('the embedding worker beside other writers (needs DATABASE_URL: one connection holds a lock)', () => {
  it('skips a memory another transaction took after the claim instead of waiting for it, and embeds the rest', async () => {
    const user = await proUser();
    await seedMemories(ctx.server.sql, user.id, 10, 'beside a writer');
    const [held] = await ctx.server.sql<{ id: string }>(`select id from memories where user_id = ? order by created_at, id limit 1`, [user.id]);
    const writer = new pg.Client({ connectionString: ctx.server.rt.config.databaseUrl });
    await writer.connect();
    try {
      fake.setLatency(400); // the batch is claimed, then in the model a while (within PROVIDER_TIMEOUT_MS)
      const drained = ctx.server.rt.embeddingWorker.drain().then(() => 'drained');
      await new Promise((resolve) => setTimeout(resolve, 150));
      // As a store deduplicating onto it would (stores lock in their own order; waiting deadlocked with them).
      await writer.query('begin');
      await writer.query('select 1 from memories where id = $1 for update', [held!.id]);
      const outcome = await Promise.race([drained, new Promise((resolve) => setTimeout(() => resolve('still waiting after 4 s'), 4_000))]);
      expect(outcome).toBe('drained');
      const pending = await ctx.server.sql<{ id: string }>(`select id from memories where user_id = ? and embedding is null`, [user.id]);
      expect(pending.map((row) => row.id)).toEqual([held!.id]);
    } finally {
      await writer.query('rollback');
      await writer.end();
    }
  });
});

describe.skipIf(databaseMode() === 'embedded')(
  'on a PostgreSQL where pgvector may not be created (needs DATABASE_URL: the embedded database always has pgvector)',
  () => {
    const lexicalOnly = useTestServer(async () => ({ env: { ...embeddingsEnv(), DATABASE_URL: await databaseWithoutPgvector() } }));

    it('stores and recalls lexically, says so in extensions.warnings when given an embedding, and never calls the API', async () => {
      const user = await registerUserWithTier(lexicalOnly.server, Tier.PRO);
      const stored = await user.client.raw(StoreMemoryDocument, { input: { content: 'a fast car', embedding: embedText('a fast car', DIM) } });
      expect(stored.errors).toEqual([]);
      expect(stored.extensions.warnings).toEqual([expect.objectContaining({ code: 'VECTOR_SEARCH_UNAVAILABLE' })]);
      await user.client.request(StoreMemoryDocument, { input: { content: 'Dana prefers to be contacted by email' } });

      const given = await recall(user, { query: 'fast cars', embedding: embedText('fast car', DIM) });
      expect(given.hits.map((h) => h.memory.content)).toEqual(['a fast car']);
      expect(given.hits[0]!.explanation.semantic).toBeNull();
      expect(given.warnings.map((w) => w.code)).toEqual(['VECTOR_SEARCH_UNAVAILABLE']);
      expect((await recall(user, { query: 'How should I contact Dana?' })).hits.map((h) => h.memory.content)).toEqual(['Dana prefers to be contacted by email']);
      expect((await recall(user, { query: 'the automobile was quick' })).hits).toEqual([]);
      expect(fake.requests).toEqual([]);
      expect(lexicalOnly.server.rt.db.vectorSearch).toBe(false);
    });
  },
);
