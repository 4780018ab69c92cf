import { describe, expect, it } from 'vitest';
import { ApiKeysDocument, CreateApiKeyDocument, MeDocument, RevokeApiKeyDocument, RotateApiKeyDocument, SubscriptionDocument, UsageDocument, type StellarClient } from '../../sdk/index.js';
import { PRUNE_REVOKED_KEYS_JOB } from '../../src/jobs/accounts.js';
import { registerUser } from '../support/accounts.js';
import { freshWindow } from '../support/limits.js';
import { useTestServer } from '../support/server.js';

/**
 * Key management and account reads skipped the per-minute budget (issue 15, finding 5): a FREE
 * user rotated a key 200 times in under a minute, and `apiKeys` then listed 202 rows.
 */

const ctx = useTestServer();

const remaining = (headers: Headers) => Number(headers.get('x-ratelimit-remaining'));

describe('key management and account reads spend the per-minute budget', () => {
  it('each of me, usage, apiKeys, subscription, createApiKey, revokeApiKey and rotateApiKey costs one unit', async () => {
    await freshWindow(20_000);
    const user = await registerUser(ctx.server);
    const spend = async (run: (client: StellarClient) => Promise<{ headers: Headers }>) => {
      const before = remaining((await user.client.raw(MeDocument)).headers);
      const after = remaining((await run(user.client)).headers);
      return before - after;
    };
    expect(await spend((c) => c.raw(MeDocument))).toBe(1);
    expect(await spend((c) => c.raw(UsageDocument))).toBe(1);
    expect(await spend((c) => c.raw(ApiKeysDocument))).toBe(1);
    expect(await spend((c) => c.raw(SubscriptionDocument))).toBe(1);
    expect(await spend((c) => c.raw(CreateApiKeyDocument, { input: { name: 'second' } }))).toBe(1); // refused by the FREE cap, still spent
    expect(await spend((c) => c.raw(RevokeApiKeyDocument, { id: '00000000-0000-4000-8000-000000000000' }))).toBe(1);
    const rotated = await user.client.raw(RotateApiKeyDocument, { id: user.keyId });
    expect(rotated.errors).toEqual([]);
  });

  it('a FREE user cannot rotate a key 200 times a minute: refused with 429 once the 60 units are spent', async () => {
    await freshWindow(30_000);
    const user = await registerUser(ctx.server);
    let secret = user.secret;
    let keyId = user.keyId;
    let rotations = 0;
    let refusal: { status: number; code: unknown } | null = null;
    for (let i = 0; i < 200 && !refusal; i++) {
      const result = await ctx.server.client(secret).raw(RotateApiKeyDocument, { id: keyId });
      if (result.errors.length > 0) refusal = { status: result.status, code: result.errors[0]!.extensions?.code };
      else {
        rotations++;
        secret = result.data!.rotateApiKey.secret;
        keyId = result.data!.rotateApiKey.apiKey.id;
      }
    }
    expect(refusal).toEqual({ status: 429, code: 'RATE_LIMITED' });
    expect(rotations).toBeLessThanOrEqual(60);
  });
});

describe('apiKeys', () => {
  it('lists active keys and keys revoked in the last 30 days; a job prunes older revoked keys', async () => {
    const user = await registerUser(ctx.server);
    const { rotateApiKey } = await user.client.request(RotateApiKeyDocument, { id: user.keyId });
    const client = ctx.server.client(rotateApiKey.secret);
    const second = (await client.request(RotateApiKeyDocument, { id: rotateApiKey.apiKey.id })).rotateApiKey;
    const current = ctx.server.client(second.secret);
    // The first key was revoked 31 days ago, the second 29 days ago.
    await ctx.server.sql(`update api_keys set revoked_at = now() - interval '31 days' where id = ?`, [user.keyId]);
    await ctx.server.sql(`update api_keys set revoked_at = now() - interval '29 days' where id = ?`, [rotateApiKey.apiKey.id]);

    const listed = (await current.request(ApiKeysDocument)).apiKeys.map((k) => k.id);
    expect(listed.sort()).toEqual([rotateApiKey.apiKey.id, second.apiKey.id].sort());

    await ctx.server.rt.scheduler.runNow(PRUNE_REVOKED_KEYS_JOB);
    const rows = await ctx.server.sql<{ id: string }>(`select id from api_keys where user_id = ?`, [user.id]);
    expect(rows.map((r) => r.id).sort()).toEqual([rotateApiKey.apiKey.id, second.apiKey.id].sort());
    expect((await current.request(MeDocument)).me.id).toBe(user.id);
  });
});
