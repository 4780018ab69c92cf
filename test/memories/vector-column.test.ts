import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient, RegisterDocument, StoreMemoryDocument } from '../../sdk/index.js';
import { uniqueEmail } from '../support/accounts.js';
import { databaseMode, freshDatabase } from '../support/database.js';
import { spawnServer, type SpawnedServer } from '../support/spawn.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Stops a server once it has fully started (its SIGTERM handler is installed after it starts listening). */
async function stopWhenReady(server: SpawnedServer): Promise<number | null> {
  while (!server.output.some((line) => line.includes('Stellar Memory API listening'))) await new Promise((r) => setTimeout(r, 20));
  return server.stop();
}

/** A database that outlives one process: a folder for the embedded one, or a new PostgreSQL database. */
async function durableDatabase(): Promise<Record<string, string>> {
  if (databaseMode() === 'postgres') return { DATABASE_URL: await freshDatabase() };
  const dir = await mkdtemp(join(tmpdir(), 'stellar-vector-'));
  dirs.push(dir);
  return { EMBEDDED_DB_DIR: dir };
}

/** An endpoint of `dim` dimensions that is never reached: these starts embed nothing themselves. */
const remote = (dim: number) => ({ EMBEDDINGS: 'remote', EMBEDDINGS_URL: 'http://127.0.0.1:9/v1', EMBEDDINGS_DIM: String(dim) });

describe('the embedding column follows the model', () => {
  it('holding no vector yet, it is recreated with a new dimension', async () => {
    const database = await durableDatabase();
    expect(await stopWhenReady(await spawnServer({ env: { ...database, ...remote(8) } }))).toBe(0);
    expect(await stopWhenReady(await spawnServer({ env: { ...database, ...remote(16) } }))).toBe(0);
  });

  it('holding vectors, a start with a model of another dimension stops with one clear line', async () => {
    const database = await durableDatabase();
    const server = await spawnServer({ env: { ...database, ...remote(8) } });
    const { register } = await createClient({ url: server.graphqlUrl }).request(RegisterDocument, { input: { email: uniqueEmail() } });
    await createClient({ url: server.graphqlUrl, apiKey: register.apiKey.secret }).request(StoreMemoryDocument, {
      input: { content: 'a memory with a vector of its own', embedding: [1, 0, 0, 0, 0, 0, 0, 0] },
    });
    expect(await stopWhenReady(server)).toBe(0);

    const refused = await spawnServer({ env: { ...database, ...remote(16) } }).then(
      async (started) => {
        await started.stop();
        throw new Error('the server started with a model of another dimension');
      },
      (err: Error) => err.message,
    );
    expect(refused).toMatch(/server exited with 1 before/);
    const lines = refused.split('\n').filter((line) => line.startsWith('config error:'));
    expect(lines).toEqual([
      'config error: the embedding model has 16 dimensions but the stored embeddings (memories.embedding) have 8: use the model that made them (EMBEDDINGS, EMBEDDINGS_DIM=8), or drop that column to embed every memory again with the new model',
    ]);
  });
});
