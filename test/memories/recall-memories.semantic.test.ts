import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RecallMemoriesDocument, StoreMemoriesDocument, StoreMemoryDocument, type RecallInput } from '../../sdk/index.js';
import { EMBED_JOB } from '../../src/jobs/memories.js';
import { Tier } from '../../src/entities/enums.js';
import { embedText, startFakeEmbeddings, type FakeEmbeddings } from '../fakes/embeddings.js';
import { registerUserWithTier, type TestUser } from '../support/accounts.js';
import { databaseMode, databaseWithoutPgvector } from '../support/database.js';
import { startTestServer, type TestServer } from '../support/server.js';

const DIM = 256;
const API_KEY = 'sk-embeddings-test';
const embeddingsEnv = () => ({ EMBEDDINGS_URL: fake.baseUrl, EMBEDDINGS_API_KEY: API_KEY, EMBEDDINGS_DIM: String(DIM), PROVIDER_TIMEOUT_MS: '500' });

let fake: FakeEmbeddings;
let server: TestServer;
beforeAll(async () => {
  fake = await startFakeEmbeddings({ dim: DIM, apiKey: API_KEY });
  server = await startTestServer({ env: embeddingsEnv() });
});
afterAll(async () => {
  await server?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

const proUser = () => registerUserWithTier(server, Tier.PRO);

const recall = async (user: TestUser, input: RecallInput) => {
  const response = await user.client.raw(RecallMemoriesDocument, { input });
  expect(response.errors).toEqual([]);
  return { hits: response.data!.recallMemories, warnings: (response.extensions.warnings ?? []) as { code: string }[] };
};
const hasEmbedding = async (id: string) =>
  (await server.sql<{ has: boolean }>(`select embedding is not null as has from memories where id = ?`, [id]))[0]!.has;

describe('semantic recall with pgvector and EMBEDDINGS_URL', () => {
  it('finds a paraphrase that shares no word with the query, and nothing unrelated', async () => {
    const user = await proUser();
    await user.client.request(StoreMemoriesDocument, {
      inputs: [{ content: 'a fast car' }, { content: 'my physician bought a huge house' }, { content: 'the kitten sleeps on the sofa' }],
    });
    const { hits, warnings } = await recall(user, { query: 'the automobile was quick' });
    expect(warnings).toEqual([]);
    expect(hits.map((h) => h.memory.content)).toEqual(['a fast car']);
    expect(hits[0]!.relevance).toBeGreaterThan(0.25); // semantic only: half of the blend
    expect(hits[0]!.memory.recallCount).toBe(1);
  });

  it('fuses both signals: an exact match that is also semantically close ranks above a paraphrase', async () => {
    const user = await proUser();
    await user.client.request(StoreMemoriesDocument, { inputs: [{ content: 'quick automobile' }, { content: 'speedy sedan' }] });
    const { hits } = await recall(user, { query: 'quick automobile' });
    expect(hits.map((h) => h.memory.content)).toEqual(['quick automobile', 'speedy sedan']);
    expect(hits[0]!.relevance).toBeGreaterThan(hits[1]!.relevance);
  });

  it('embeds a storeMemories batch in one API call, with the configured key and model', async () => {
    const user = await proUser();
    await user.client.request(StoreMemoriesDocument, { inputs: Array.from({ length: 5 }, (_, i) => ({ content: `batch fact ${i}` })) });
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
      inputs: [{ content: 'a fast car', agent: 'garage', tags: ['vehicle'], metadata: { kind: 'note' }, importance: 0.9 }],
    });
    const query = 'the automobile was quick';
    expect((await recall(alice, { query })).hits).toHaveLength(1);
    for (const filters of [{ agent: 'default' }, { tags: ['vehicle', 'other'] }, { metadata: { kind: 'todo' } }, { minImportance: 0.95 }]) {
      expect((await recall(alice, { query, ...filters })).hits, JSON.stringify(filters)).toEqual([]);
    }
    expect((await recall(alice, { query, agent: 'garage', tags: ['vehicle'], metadata: { kind: 'note' }, minImportance: 0.9 })).hits).toHaveLength(1);
    expect((await recall(bob, { query })).hits).toEqual([]);
    expect((await recall(bob, { query: 'x', embedding: embedText('a fast car', DIM) })).hits).toEqual([]);
  });

  it('when the API fails: stores without a vector and says so, recalls full-text and says so, and the backfill embeds later', async () => {
    const user = await proUser();
    fake.fail('error500');
    const stored = await user.client.raw(StoreMemoryDocument, { input: { content: 'a fast car' } });
    expect(stored.errors).toEqual([]);
    expect(stored.extensions.warnings).toEqual([expect.objectContaining({ code: 'EMBEDDINGS_UNAVAILABLE' })]);
    const id = stored.data!.storeMemory.memory.id;
    expect(await hasEmbedding(id)).toBe(false);

    const during = await recall(user, { query: 'the automobile was quick' });
    expect(during.hits).toEqual([]);
    expect(during.warnings.map((w) => w.code)).toEqual(['EMBEDDINGS_UNAVAILABLE']);
    expect((await recall(user, { query: 'fast car' })).hits).toHaveLength(1); // full-text still works

    fake.reset();
    await server.rt.scheduler.runNow(EMBED_JOB);
    expect(await hasEmbedding(id)).toBe(true);
    expect((await recall(user, { query: 'the automobile was quick' })).hits.map((h) => h.memory.id)).toEqual([id]);
  });

  it('gives up on an API that does not answer within PROVIDER_TIMEOUT_MS', async () => {
    const user = await proUser();
    fake.fail('stall');
    const started = Date.now();
    const stored = await user.client.raw(StoreMemoryDocument, { input: { content: 'stalled store' } });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(stored.errors).toEqual([]);
    expect(stored.extensions.warnings).toEqual([expect.objectContaining({ code: 'EMBEDDINGS_UNAVAILABLE' })]);
  });

  it('treats vectors of the wrong dimension from the API as a failure, never storing them', async () => {
    const user = await proUser();
    fake.setDimension(DIM / 2);
    const stored = await user.client.raw(StoreMemoryDocument, { input: { content: 'half-size vector' } });
    expect(stored.extensions.warnings).toEqual([expect.objectContaining({ code: 'EMBEDDINGS_UNAVAILABLE' })]);
    expect(await hasEmbedding(stored.data!.storeMemory.memory.id)).toBe(false);
  });
});

describe.skipIf(databaseMode() === 'embedded')(
  'on a PostgreSQL where pgvector may not be created (needs DATABASE_URL: the embedded database always has pgvector)',
  () => {
    let lexicalOnly: TestServer;
    beforeAll(async () => {
      lexicalOnly = await startTestServer({ env: { ...embeddingsEnv(), DATABASE_URL: await databaseWithoutPgvector() } });
    });
    afterAll(() => lexicalOnly?.close());

    it('stores and recalls lexically, says so in extensions.warnings when given an embedding, and never calls the API', async () => {
      const user = await registerUserWithTier(lexicalOnly, Tier.PRO);
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
      expect(lexicalOnly.rt.db.vectorSearch).toBe(false);
    });
  },
);
