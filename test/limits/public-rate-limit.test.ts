import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, RateLimitedError, RegisterDocument, RequestApiKeyRecoveryDocument } from '../../sdk/index.js';
import { uniqueEmail } from '../support/accounts.js';
import { freshWindow } from '../support/limits.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** Public mutations are limited per client IP (PUBLIC_RATE_LIMIT a minute); X-Forwarded-For counts only from trusted proxies. */

const servers: TestServer[] = [];
afterAll(() => Promise.all(servers.map((s) => s.close())));

async function serverWith(env: Record<string, string>) {
  // Each server counts in its own database: the budget of 127.0.0.1 must not carry over between tests.
  const server = await startTestServer({ env: { PUBLIC_RATE_LIMIT: '5', ...env }, ownDatabase: true });
  servers.push(server);
  return server;
}

const registerFrom = (server: TestServer, forwardedFor?: string) =>
  createClient({ url: server.graphqlUrl, headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {} }).raw(RegisterDocument, {
    input: { email: uniqueEmail() },
  });

describe('per-IP limit on public mutations', () => {
  let direct: TestServer;
  beforeAll(async () => {
    direct = await serverWith({});
  });

  it('lets 5 through a minute, then answers 429 RATE_LIMITED with Retry-After, across all public mutations', async () => {
    await freshWindow();
    const results = await Promise.all(Array.from({ length: 4 }, () => registerFrom(direct)));
    expect(results.every((r) => r.status === 200 && r.errors.length === 0)).toBe(true);
    const recovery = await createClient({ url: direct.graphqlUrl }).raw(RequestApiKeyRecoveryDocument, { email: uniqueEmail() });
    expect(recovery.errors).toEqual([]);

    const refused = await registerFrom(direct);
    expect(refused.status).toBe(429);
    expect(refused.errors[0]!.extensions!.code).toBe('RATE_LIMITED');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const error = await createClient({ url: direct.graphqlUrl }).request(RegisterDocument, { input: { email: uniqueEmail() } }).catch((e) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).limit).toBe(5);
    expect((error as RateLimitedError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
  });

  it('ignores X-Forwarded-For from a client that is not a trusted proxy', async () => {
    const server = await serverWith({});
    await freshWindow();
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await registerFrom(server, `203.0.113.${i}`)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it('counts the right-most untrusted X-Forwarded-For address behind a trusted proxy', async () => {
    const server = await serverWith({ TRUSTED_PROXIES: '127.0.0.1/32, 10.0.0.0/8' });
    await freshWindow();
    // Two clients behind the proxy each get their own budget…
    for (let i = 0; i < 5; i++) expect((await registerFrom(server, '198.51.100.7')).status).toBe(200);
    expect((await registerFrom(server, '198.51.100.7')).status).toBe(429);
    expect((await registerFrom(server, '198.51.100.8')).status).toBe(200);
    // …and a forged left-most entry does not buy a new one: the address our trusted hop saw is what counts.
    expect((await registerFrom(server, '1.2.3.4, 198.51.100.7')).status).toBe(429);
    expect((await registerFrom(server, '1.2.3.4, 198.51.100.7, 10.1.2.3')).status).toBe(429);
  });
});
