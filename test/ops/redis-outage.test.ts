import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeDocument, PlansDocument, RegisterDocument } from '../../sdk/index.js';
import { uniqueEmail } from '../support/accounts.js';
import { redisServerAvailable, startPrivateRedis, type PrivateRedis } from '../support/private-services.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** Issue 8 point 2: Redis stopped and started under a running server (a private Redis, not the shared one). */

let redis: PrivateRedis;
let server: TestServer;
beforeAll(async () => {
  if (!redisServerAvailable()) return;
  redis = await startPrivateRedis();
  server = await startTestServer({ env: { REDIS_URL: redis.url } });
});
afterAll(async () => {
  await server?.close();
  await redis?.stop();
});

const readyz = async () => {
  const response = await fetch(`${server.url}/readyz`);
  return { status: response.status, body: (await response.json()) as { checks: Record<string, string> } };
};
const register = () => server.client().raw(RegisterDocument, { input: { email: uniqueEmail() } });

describe.skipIf(!redisServerAvailable())('Redis outage (needs the redis-server binary)', () => {
  it('fails closed while Redis is down, says why on /readyz, and recovers without a restart', async () => {
    const before = await register();
    expect(before.errors).toEqual([]);
    const user = before.data!.register.apiKey.secret;
    expect((await readyz()).status).toBe(200);

    await redis.stop();
    const ready = await readyz();
    expect(ready.status).toBe(503);
    expect(ready.body.checks.redis).toMatch(/^unreachable/);
    const started = Date.now();
    const refused = await register();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(refused.errors[0]!.extensions!.code).toBe('INTERNAL_SERVER_ERROR');
    expect(refused.data).toBeNull();
    // An operation that spends no budget still works on the database (`me` spends one: refused).
    expect((await server.client(user).raw(PlansDocument)).errors).toEqual([]);
    expect((await server.client(user).raw(MeDocument)).errors[0]!.extensions!.code).toBe('INTERNAL_SERVER_ERROR');

    await redis.start();
    const deadline = Date.now() + 15_000;
    while ((await readyz()).status !== 200) {
      if (Date.now() > deadline) throw new Error('/readyz did not recover within 15 s of Redis returning');
      await new Promise((r) => setTimeout(r, 200));
    }
    const after = await register();
    expect(after.errors).toEqual([]);
    expect(after.headers.get('x-ratelimit-limit')).toBeNull(); // anonymous: no user window
    expect((await server.client(after.data!.register.apiKey.secret).raw(MeDocument)).headers.get('x-ratelimit-limit')).toBe('60');
  });
});
