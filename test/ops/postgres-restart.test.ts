import { afterAll, describe, expect, it } from 'vitest';
import { createClient, StoreMemoryDocument } from '../../sdk/index.js';
import { postgresServerAvailable, startPrivatePostgres, type PrivatePostgres } from '../support/private-services.js';
import { spawnServer, type SpawnedServer } from '../support/spawn.js';
import { query } from '../support/sql.js';

/**
 * Issue 8 point 1: PostgreSQL restarts while clients store memories (a private cluster, so the
 * shared one every other test file uses is not disturbed).
 */

const OWNER_KEY = 'restart-test-owner-key-0123456789';
let pg: PrivatePostgres | undefined;
let server: SpawnedServer | undefined;
afterAll(async () => {
  await server?.stop('SIGKILL');
  await pg?.destroy();
});

interface Outcome {
  ok: boolean;
  id?: string;
  startedAt: number;
  ms: number;
}

describe.skipIf(!postgresServerAvailable())('PostgreSQL restart under store load (needs Debian PostgreSQL binaries)', () => {
  it('answers errors (not hangs) while it is down, loses no acknowledged store, and recovers fully', { timeout: 180_000 }, async () => {
    pg = await startPrivatePostgres();
    // Self-hosted: no rate limit or quota, so every error below comes from the outage.
    server = await spawnServer({ env: { DATABASE_URL: pg.url, STELLAR_BILLING_ENABLED: 'false', STELLAR_API_KEY: OWNER_KEY, LOG_LEVEL: 'warn' } });
    const client = createClient({ url: server.graphqlUrl, apiKey: OWNER_KEY });
    const outcomes: Outcome[] = [];
    let running = true;
    let sequence = 0;
    const worker = async () => {
      while (running) {
        const startedAt = Date.now();
        const content = `memory ${sequence++} ${startedAt}`;
        const result = await client.request(StoreMemoryDocument, { input: { content } }).then(
          (r) => ({ ok: true, id: r.storeMemory.memory.id }),
          () => ({ ok: false }),
        );
        outcomes.push({ ...result, startedAt, ms: Date.now() - startedAt });
        if (!result.ok) await new Promise((r) => setTimeout(r, 50));
      }
    };
    const readiness: { at: number; status: number }[] = [];
    const probe = (async () => {
      while (running) {
        const status = await fetch(`${server!.url}/readyz`).then((r) => r.status, () => 0);
        readiness.push({ at: Date.now(), status });
        await new Promise((r) => setTimeout(r, 200));
      }
    })();

    const workers = Array.from({ length: 8 }, worker);
    await new Promise((r) => setTimeout(r, 3_000));
    const downAt = Date.now();
    await pg.stop();
    await new Promise((r) => setTimeout(r, 3_000));
    await pg.start();
    const upAt = Date.now();
    await new Promise((r) => setTimeout(r, 8_000));
    running = false;
    await Promise.all([...workers, probe]);

    const acknowledged = outcomes.filter((o) => o.ok).map((o) => o.id!);
    const failed = outcomes.filter((o) => !o.ok);
    const [stored] = await query<{ n: string }>(pg.url, `select count(*) as n from memories where id = any($1::uuid[])`, [acknowledged]);
    console.log(
      `[pg-restart] ${outcomes.length} stores: ${acknowledged.length} acknowledged, ${failed.length} failed; slowest failure ${Math.max(0, ...failed.map((o) => o.ms))} ms`,
    );

    expect(acknowledged.length).toBeGreaterThan(50);
    expect(Number(stored!.n)).toBe(acknowledged.length);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((o) => o.ms < 10_000)).toBe(true);
    // Readiness went down during the outage and came back after it.
    expect(readiness.some((r) => r.at > downAt && r.at < upAt && r.status === 503)).toBe(true);
    expect(readiness.filter((r) => r.at > upAt + 3_000).every((r) => r.status === 200)).toBe(true);
    // Once recovered, nothing fails.
    const late = outcomes.filter((o) => o.startedAt > upAt + 3_000);
    expect(late.length).toBeGreaterThan(20);
    expect(late.filter((o) => !o.ok)).toEqual([]);
  });
});
