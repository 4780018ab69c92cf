import { afterAll, describe, expect, it } from 'vitest';
import { createClient, RegisterDocument, StoreMemoriesDocument } from '../../sdk/index.js';
import { startFakeEmbeddings } from '../fakes/embeddings.js';
import { uniqueEmail } from '../support/accounts.js';
import { spawnServer, type SpawnedServer } from '../support/spawn.js';

let server: SpawnedServer | undefined;
afterAll(async () => {
  await server?.stop('SIGKILL');
});

describe('graceful shutdown', () => {
  it('answers all 200 in-flight requests after SIGTERM, then exits 0 before the deadline', async () => {
    server = await spawnServer();
    const client = createClient({ url: server.graphqlUrl });
    // Registrations write to the database, so 200 of them are still in the server when SIGTERM lands.
    const inFlight = Array.from({ length: 200 }, () => client.raw(RegisterDocument, { input: { email: uniqueEmail('drain') } }));
    await new Promise((r) => setTimeout(r, 300));
    const signalledAt = Date.now();
    server.process.kill('SIGTERM');

    const responses = await Promise.all(inFlight);
    expect(responses.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
    expect(responses.every((r) => r.errors.length === 0 && r.data?.register.apiKey.secret)).toBe(true);
    expect(await server.exited).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(25_000);
    expect(server.output.some((line) => line.includes('shutting down: draining'))).toBe(true);
    expect(server.output.some((line) => line.includes('"stopped"'))).toBe(true);
  });

  it('stops the embedding worker after its current batch: a backlog of memories to embed does not hold up the exit', async () => {
    const fake = await startFakeEmbeddings({ dim: 64 });
    try {
      fake.setLatency(1_000); // 500 memories, 32 per call: ~10 s of embedding left when SIGTERM lands
      server = await spawnServer({ env: { EMBEDDINGS: 'remote', EMBEDDINGS_URL: fake.baseUrl, EMBEDDINGS_DIM: '64', PROVIDER_TIMEOUT_MS: '5000' } });
      const anonymous = createClient({ url: server.graphqlUrl });
      const { register } = await anonymous.request(RegisterDocument, { input: { email: uniqueEmail('backlog') } });
      const client = createClient({ url: server.graphqlUrl, apiKey: register.apiKey.secret });
      for (let batch = 0; batch < 5; batch++) {
        await client.request(StoreMemoriesDocument, { inputs: Array.from({ length: 100 }, (_, i) => ({ content: `backlog memory ${batch}-${i}` })) });
      }
      // Past the scheduled run (every 5 s), which joins the embedding in progress.
      await new Promise((r) => setTimeout(r, 6_000));
      const signalledAt = Date.now();
      server.process.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      expect(Date.now() - signalledAt).toBeLessThan(5_000);
    } finally {
      await fake.close();
    }
  });
});
