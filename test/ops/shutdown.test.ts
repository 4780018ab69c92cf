import { afterAll, describe, expect, it } from 'vitest';
import { createClient, RegisterDocument } from '../../sdk/index.js';
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
});
