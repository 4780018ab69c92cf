import { readFile } from 'node:fs/promises';
import { parse } from 'smol-toml';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/private-services.js';
import { useTestServer } from '../support/server.js';
import { spawnServer, type SpawnedServer } from '../support/spawn.js';

/**
 * `/metrics` was public on Fly and `/readyz` showed raw driver errors (issue 15, finding 6). In
 * production the metrics answer only on METRICS_PORT, a second listener that fly.toml hands to
 * Fly's metrics scraper and not to the internet; `/readyz` names the failed check, nothing more.
 */

describe('metrics in production', () => {
  let server: SpawnedServer | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  it('answer only on METRICS_PORT; the public port answers 404 there', async () => {
    const metricsPort = await freePort();
    server = await spawnServer({ env: { NODE_ENV: 'production', METRICS_PORT: String(metricsPort) } });
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    const scraped = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(scraped.status).toBe(200);
    expect(scraped.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await scraped.text()).toContain('stellar_http_request_duration_seconds');
    // The metrics listener serves nothing else.
    expect((await fetch(`http://127.0.0.1:${metricsPort}/graphql`, { method: 'POST' })).status).toBe(404);
  });

  it('fly.toml hands port 9091 to Fly\'s scraper and exposes only the app port publicly', async () => {
    const fly = parse(await readFile(new URL('../../fly.toml', import.meta.url), 'utf8')) as Record<string, any>;
    expect(fly.metrics).toMatchObject({ port: 9091, path: '/metrics' });
    expect(fly.env.METRICS_PORT ?? '9091').toBe('9091');
    expect(fly.http_service.internal_port).toBe(8080);
    expect(fly.services ?? []).toEqual([]);
  });
});

describe('/readyz', () => {
  const ctx = useTestServer({ env: { REDIS_URL: 'redis://127.0.0.1:1' } });

  it('names the failed check, never the driver\'s error text', async () => {
    const redisDown = await fetch(`${ctx.server.url}/readyz`);
    expect(redisDown.status).toBe(503);
    const body = (await redisDown.json()) as { checks: Record<string, string> };
    expect(body.checks).toEqual({ database: 'ok', redis: 'unreachable' });

    // The database failing with what a driver says (addresses, user names) shows none of it.
    const forkEm = ctx.server.rt.forkEm;
    ctx.server.rt.forkEm = () => {
      throw new Error('password authentication failed for user "stellar" (db.internal:5432)');
    };
    try {
      const dbDown = await fetch(`${ctx.server.url}/readyz`);
      expect(dbDown.status).toBe(503);
      const text = await dbDown.text();
      expect(JSON.parse(text)).toMatchObject({ checks: { database: 'unreachable', redis: 'unreachable' } });
      expect(text).not.toMatch(/password|stellar|db\.internal|5432|ECONNREFUSED|127\.0\.0\.1/);
    } finally {
      ctx.server.rt.forkEm = forkEm;
    }
  });
});
