import { describe, expect, it } from 'vitest';
import { UsageDocument, type StellarClient } from '../../sdk/index.js';
import { Tier } from '../../src/entities/enums.js';
import { grantTier, registerUser } from '../support/accounts.js';
import { useTestServer } from '../support/server.js';

const ctx = useTestServer();

const limitsOf = async (client: StellarClient) => (await client.request(UsageDocument)).usage;

async function addSubscription(userId: string, tier: Tier, status: string, fields: Record<string, string | null> = {}) {
  await ctx.server.sql(
    `insert into subscriptions (id, user_id, provider, provider_subscription_id, tier, status, current_period_end, past_due_since)
     values (gen_random_uuid(), ?, 'STRIPE', gen_random_uuid()::text, ?, ?, ?::timestamptz, ?::timestamptz)`,
    [userId, tier, status, fields.currentPeriodEnd ?? null, fields.pastDueSince ?? null],
  );
  await ctx.server.rt.entitlements.changed(userId);
}

describe('effective tier', () => {
  it('a manual grant raises the limits on the next request; an expired grant drops them back by itself', async () => {
    const user = await registerUser(ctx.server);
    expect((await limitsOf(user.client)).limits.requestsPerMinute).toBe(60);
    await grantTier(ctx.server, user.id, Tier.PRO, new Date(Date.now() + 1_500));
    const pro = await limitsOf(user.client);
    expect([pro.tier, pro.limits.requestsPerMinute, pro.limits.maxMemories]).toEqual(['PRO', 300, 50_000]);
    // No invalidation message: the cached tier knows when the grant ends.
    await new Promise((r) => setTimeout(r, 1_700));
    expect((await limitsOf(user.client)).tier).toBe('FREE');
  });

  it('takes the highest of grants and entitled subscriptions', async () => {
    const user = await registerUser(ctx.server);
    await grantTier(ctx.server, user.id, Tier.PRO);
    await addSubscription(user.id, Tier.TEAM, 'ACTIVE');
    expect((await limitsOf(user.client)).tier).toBe('TEAM');
  });

  it.each([
    ['ACTIVE', {}, 'PRO'],
    ['PAST_DUE inside the 7-day grace', { pastDueSince: new Date(Date.now() - 6 * 86_400_000).toISOString() }, 'PRO'],
    ['PAST_DUE after the grace', { pastDueSince: new Date(Date.now() - 8 * 86_400_000).toISOString() }, 'FREE'],
    ['CANCELED before the period end', { currentPeriodEnd: new Date(Date.now() + 86_400_000).toISOString() }, 'PRO'],
    ['CANCELED after the period end', { currentPeriodEnd: new Date(Date.now() - 1_000).toISOString() }, 'FREE'],
    ['EXPIRED', {}, 'FREE'],
  ] as const)('a PRO subscription that is %s gives %s', async (label, fields, expected) => {
    const user = await registerUser(ctx.server);
    await addSubscription(user.id, Tier.PRO, label.split(' ')[0]!, fields);
    expect((await limitsOf(user.client)).tier).toBe(expected);
  });
});
