import { describe, expect, it } from 'vitest';
import { PlansDocument, RegisterDocument } from '../../sdk/index.js';
import { createAccount } from '../../src/services/accounts/accounts.js';
import { uniqueEmail } from '../support/accounts.js';
import { useTestServer } from '../support/server.js';

/** Redis configured but unreachable (a closed port): nothing metered goes through unlimited. */
const ctx = useTestServer({ env: { REDIS_URL: 'redis://127.0.0.1:1' } });

describe('with the counter store down', () => {
  it('/readyz answers 503 and says Redis is the problem', async () => {
    const response = await fetch(`${ctx.server.url}/readyz`);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { checks: Record<string, string> };
    expect(body.checks.database).toBe('ok');
    expect(body.checks.redis).toMatch(/^unreachable/);
  });

  it('refuses rate-limited operations with INTERNAL_SERVER_ERROR instead of running them unlimited', async () => {
    const response = await ctx.server.client().raw(RegisterDocument, { input: { email: uniqueEmail() } });
    expect(response.data).toBeNull();
    expect(response.errors[0]!.extensions!.code).toBe('INTERNAL_SERVER_ERROR');
    expect(response.errors[0]!.message).toMatch(/Rate limiting is unavailable/);
    expect(await ctx.server.sql(`select id from users`)).toHaveLength(0);
  });

  it('still answers operations that spend no budget, without rate-limit headers', async () => {
    const account = (await createAccount(ctx.server.rt.forkEm(), uniqueEmail()))!;
    // `plans` is free; with a user key it still reads the window for the headers, which fails here.
    const response = await ctx.server.client(account.apiKey.secret).raw(PlansDocument);
    expect(response.errors).toEqual([]);
    expect(response.headers.get('x-ratelimit-limit')).toBeNull();
  });
});
