import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
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

// A database that outlives one process: an embedded one in a folder, or the test file's PostgreSQL database.
describe('the embedding column', () => {
  it('is created with EMBEDDINGS_DIM, and a later start with another dimension stops with one clear line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stellar-vector-'));
    dirs.push(dir);
    expect(await stopWhenReady(await spawnServer({ env: { EMBEDDED_DB_DIR: dir, EMBEDDINGS_DIM: '8' } }))).toBe(0);

    const refused = await spawnServer({ env: { EMBEDDED_DB_DIR: dir, EMBEDDINGS_DIM: '16' } }).then(
      async (server) => {
        await server.stop();
        throw new Error('the server started with a mismatching EMBEDDINGS_DIM');
      },
      (err: Error) => err.message,
    );
    expect(refused).toMatch(/server exited with 1 before/);
    const lines = refused.split('\n').filter((line) => line.startsWith('config error:'));
    expect(lines).toEqual([
      'config error: EMBEDDINGS_DIM is 16 but the stored embeddings (memories.embedding) have 8 dimensions: set EMBEDDINGS_DIM=8, or drop that column to start over with 16',
    ]);
  });
});
