import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlansDocument, RegisterDocument } from '../../sdk/index.js';
import { createAccount } from '../../src/services/accounts.js';
import { uniqueEmail } from '../support/accounts.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** Redis configured but unreachable (a closed port): nothing metered goes through unlimited. */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { REDIS_URL: 'redis://127.0.0.1:1' } });
});
afterAll(() => server?.close());

describe('with the counter store down', () => {
  it('/readyz answers 503 and says Redis is the problem', async () => {
    const response = await fetch(`${server.url}/readyz`);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { checks: Record<string, string> };
    expect(body.checks.database).toBe('ok');
    expect(body.checks.redis).toMatch(/^unreachable/);
  });

  it('refuses rate-limited operations with INTERNAL_SERVER_ERROR instead of running them unlimited', async () => {
    const response = await server.client().raw(RegisterDocument, { input: { email: uniqueEmail() } });
    expect(response.data).toBeNull();
    expect(response.errors[0]!.extensions!.code).toBe('INTERNAL_SERVER_ERROR');
    expect(response.errors[0]!.message).toMatch(/Rate limiting is unavailable/);
    expect(await server.sql(`select id from users`)).toHaveLength(0);
  });

  it('still answers operations that spend no budget, without rate-limit headers', async () => {
    const account = (await createAccount(server.rt.forkEm(), uniqueEmail()))!;
    // `plans` is free; with a user key it still reads the window for the headers, which fails here.
    const response = await server.client(account.apiKey.secret).raw(PlansDocument);
    expect(response.errors).toEqual([]);
    expect(response.headers.get('x-ratelimit-limit')).toBeNull();
  });
});
