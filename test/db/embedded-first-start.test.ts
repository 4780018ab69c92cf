import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient, MeDocument, RegisterDocument } from '../../sdk/index.js';
import { residentMb, spawnServer } from '../support/spawn.js';

/**
 * `npm start` with no configuration creates the embedded database's folder on its first start.
 * initdb inside the server's own process left it resident at ~640 MB for good (WebAssembly memory
 * never shrinks); the folder is now made in a child process (src/db/embedded.ts).
 */

const work = await mkdtemp(join(tmpdir(), 'stellar-first-start-'));
afterAll(() => rm(work, { recursive: true, force: true }));

describe('the first start on a new embedded database folder', () => {
  it('creates the folder outside the server process: `npm start` with the model loaded stays under 400 MB', async () => {
    const dir = join(work, 'data', 'pg');
    // What `npm start` runs (tsx's loader, which the other spawned tests use, adds ~80 MB per thread).
    const server = await spawnServer({ entry: ['scripts/start.mjs'], env: { DATABASE_URL: undefined, EMBEDDED_DB_DIR: dir, EMBEDDINGS: undefined } });
    try {
      const client = createClient({ url: server.graphqlUrl });
      const { register } = await client.request(RegisterDocument, { input: { email: 'first-start@example.com' } });
      expect((await createClient({ url: server.graphqlUrl, apiKey: register.apiKey.secret! }).request(MeDocument)).me.email).toBe('first-start@example.com');
      // The model has loaded (one thread by default on the embedded database; it starts a moment after listening).
      const loaded = () => server.output.filter((line) => line.includes('embedding model loaded')).length;
      const deadline = Date.now() + 60_000;
      while (loaded() < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(loaded()).toBe(1);
      expect(existsSync(join(dir, 'PG_VERSION'))).toBe(true);
      expect(await residentMb(server.process.pid!, 'VmHWM')).toBeLessThan(400);
    } finally {
      await server.stop();
    }
    // Nothing left beside the folder from its construction.
    expect(await readdir(join(work, 'data'))).toEqual(['pg']);
  }, 90_000);

  it('refuses a folder that holds something else, and leaves it as it was', async () => {
    const dir = join(work, 'not-a-database');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'notes.txt'), 'mine');
    await expect(spawnServer({ env: { DATABASE_URL: undefined, EMBEDDED_DB_DIR: dir } })).rejects.toThrow(/EMBEDDED_DB_DIR .*not-a-database is neither empty nor a database folder/);
    expect(await readdir(dir)).toEqual(['notes.txt']);
  }, 60_000);
});
