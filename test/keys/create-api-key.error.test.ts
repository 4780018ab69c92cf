import { describe, expect, it } from 'vitest';
import { BadUserInputError, CreateApiKeyDocument, QuotaExceededError, RevokeApiKeyDocument } from '../../sdk/index.js';
import { Tier } from '../../src/entities/enums.js';
import { grantTier, registerUser } from '../support/accounts.js';
import { useTestServer } from '../support/server.js';

const ctx = useTestServer();

describe('createApiKey errors', () => {
  it('refuses a FREE account its second key with QUOTA_EXCEEDED naming the upgrade', async () => {
    const user = await registerUser(ctx.server);
    const error = await user.client.request(CreateApiKeyDocument, { input: { name: 'second' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QuotaExceededError);
    const quota = error as QuotaExceededError;
    expect([quota.resource, quota.limit, quota.used, quota.upgradeTier]).toEqual(['API_KEYS', 1, 1, 'PRO']);
    expect(quota.message).toBe('API key limit reached (1/1). Upgrade to PRO for 5: http://localhost:8080/#pricing');
  });

  it.each([
    ['', 'empty'],
    ['   ', 'blank'],
    ['x'.repeat(65), '65 characters'],
  ])('refuses the name %j (%s) with BAD_USER_INPUT on field name', async (name) => {
    const user = await registerUser(ctx.server);
    await grantTier(ctx.server, user.id, Tier.PRO);
    const error = await user.client.request(CreateApiKeyDocument, { input: { name } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadUserInputError);
    expect((error as BadUserInputError).field).toBe('name');
  });

  it('holds the cap under 10 concurrent creations: a 5-key plan ends with exactly 5 active keys', async () => {
    const user = await registerUser(ctx.server);
    await grantTier(ctx.server, user.id, Tier.PRO);
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => user.client.request(CreateApiKeyDocument, { input: { name: `k${i}` } })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(4);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused).toHaveLength(6);
    expect(refused.every((r) => r.reason instanceof QuotaExceededError)).toBe(true);
    const [active] = await ctx.server.sql<{ n: string }>(`select count(*) as n from api_keys where user_id = ? and revoked_at is null`, [user.id]);
    expect(Number(active!.n)).toBe(5);
  });

  it('gives the room back when a key is revoked', async () => {
    const user = await registerUser(ctx.server);
    await grantTier(ctx.server, user.id, Tier.PRO);
    const extra = [];
    for (let i = 0; i < 4; i++) extra.push((await user.client.request(CreateApiKeyDocument, { input: { name: `k${i}` } })).createApiKey);
    await expect(user.client.request(CreateApiKeyDocument, { input: { name: 'sixth' } })).rejects.toBeInstanceOf(QuotaExceededError);
    await user.client.request(RevokeApiKeyDocument, { id: extra[0]!.apiKey.id });
    const { createApiKey } = await user.client.request(CreateApiKeyDocument, { input: { name: 'sixth' } });
    expect(createApiKey.apiKey.name).toBe('sixth');
  });
});
