import { describe, expect, it } from 'vitest';
import {
  AdminGrantTierDocument,
  AdminMetricsDocument,
  AdminRevokeGrantDocument,
  AdminUserDocument,
  AdminWebhookEventsDocument,
  UsageDocument,
  createClient,
} from '../../sdk/index.js';
import { Provider, SubscriptionStatus, Tier } from '../../src/entities/enums.js';
import { registerUser } from '../support/accounts.js';
import { ADMIN_KEY, STRIPE, seedSubscription, useBillingServer } from '../support/billing.js';
import { deliver, stripeDelivery } from '../support/webhooks.js';

/** The operator's operations (docs/api.md) with the admin key. */

const ctx = useBillingServer({ providers: ['stripe', 'toss'] });
const admin = () => createClient({ url: ctx.server.graphqlUrl, apiKey: ADMIN_KEY });

describe('adminGrantTier / adminRevokeGrant', () => {
  it('a grant gives the tier on the next request, with its reason audited; revoking takes it back', async () => {
    const user = await registerUser(ctx.server);
    expect((await user.client.request(UsageDocument)).usage.tier).toBe('FREE'); // cached FREE now
    const expiresAt = new Date(Date.now() + 30 * 86_400_000).toISOString();

    const { adminGrantTier } = await admin().request(AdminGrantTierDocument, { input: { email: ` ${user.email.toUpperCase()} `, tier: 'TEAM', expiresAt, reason: 'partner trial' } });
    expect(adminGrantTier).toMatchObject({ userId: user.id, tier: 'TEAM', expiresAt, reason: 'partner trial', revokedAt: null });
    const { usage } = await user.client.request(UsageDocument);
    expect(usage.tier).toBe('TEAM');
    expect(usage.limits.maxMemories).toBe(500_000);

    const { adminRevokeGrant } = await admin().request(AdminRevokeGrantDocument, { id: adminGrantTier.id, reason: 'trial over' });
    expect(adminRevokeGrant.revokedAt).not.toBeNull();
    expect((await user.client.request(UsageDocument)).usage.tier).toBe('FREE');
    // Again: nothing changes, same answer.
    expect((await admin().request(AdminRevokeGrantDocument, { id: adminGrantTier.id, reason: 'again' })).adminRevokeGrant.revokedAt).toBe(adminRevokeGrant.revokedAt);

    expect(
      await ctx.server.sql(`select type, source, grant_id, tier_before, tier_after, payload->>'reason' as reason from subscription_events where user_id = ? order by created_at`, [user.id]),
    ).toEqual([
      { type: 'GRANT_CREATED', source: 'admin', grant_id: adminGrantTier.id, tier_before: 'FREE', tier_after: 'TEAM', reason: 'partner trial' },
      { type: 'GRANT_REVOKED', source: 'admin', grant_id: adminGrantTier.id, tier_before: 'TEAM', tier_after: 'FREE', reason: 'trial over' },
    ]);
  });

  it('a grant without expiresAt lasts until revoked; the highest of grant and subscription wins', async () => {
    const user = await registerUser(ctx.server);
    await seedSubscription(ctx.server, { userId: user.id, provider: Provider.STRIPE, tier: Tier.TEAM });
    const { adminGrantTier } = await admin().request(AdminGrantTierDocument, { input: { email: user.email, tier: 'PRO', reason: 'support' } });
    expect(adminGrantTier.expiresAt).toBeNull();
    expect((await user.client.request(UsageDocument)).usage.tier).toBe('TEAM');
  });
});

describe('adminUser', () => {
  it('finds an account by email with its effective tier and subscription; null for an unknown email', async () => {
    const user = await registerUser(ctx.server);
    await seedSubscription(ctx.server, { userId: user.id, provider: Provider.STRIPE, status: SubscriptionStatus.PAST_DUE });
    await ctx.server.sql(`update subscriptions set past_due_since = now() where user_id = ?`, [user.id]);
    const { adminUser } = await admin().request(AdminUserDocument, { email: user.email });
    expect(adminUser).toMatchObject({ id: user.id, email: user.email, tier: 'PRO', subscription: { provider: 'STRIPE', status: 'PAST_DUE' } });
    expect((await admin().request(AdminUserDocument, { email: 'nobody-here@example.com' })).adminUser).toBeNull();
  });
});

describe('adminMetrics', () => {
  it('users by tier, entitled subscriptions by provider and tier, recurring revenue per currency, webhook outcomes in 24 h', async () => {
    const before = (await admin().request(AdminMetricsDocument)).adminMetrics;
    await registerUser(ctx.server); // stays FREE
    const pro = await registerUser(ctx.server);
    const team = await registerUser(ctx.server);
    const cancelled = await registerUser(ctx.server);
    const lapsed = await registerUser(ctx.server);
    await seedSubscription(ctx.server, { userId: pro.id, provider: Provider.STRIPE, tier: Tier.PRO, amount: 2900, currency: 'USD' });
    await seedSubscription(ctx.server, { userId: team.id, provider: Provider.TOSS, tier: Tier.TEAM, amount: 129_000, currency: 'KRW' });
    // Entitled until its period end, but not renewing: counted as active, not as revenue.
    await seedSubscription(ctx.server, { userId: cancelled.id, provider: Provider.STRIPE, tier: Tier.PRO, status: SubscriptionStatus.CANCELED, cancelAtPeriodEnd: true, amount: 2900 });
    // PAST_DUE beyond the grace period: neither entitled nor revenue.
    await seedSubscription(ctx.server, { userId: lapsed.id, provider: Provider.STRIPE, tier: Tier.PRO, status: SubscriptionStatus.PAST_DUE, amount: 2900 });
    await ctx.server.sql(`update subscriptions set past_due_since = now() - interval '8 days' where user_id = ?`, [lapsed.id]);
    const remote = ctx.fakes.stripe.createSubscription({ price: STRIPE.pricePro });
    await deliver(ctx.server, stripeDelivery(ctx.fakes.stripe.event('customer.subscription.updated', remote))); // IGNORED: not ours

    const after = (await admin().request(AdminMetricsDocument)).adminMetrics;
    const users = (m: typeof after, tier: string) => m.usersByTier.find((t) => t.tier === tier)!.count;
    expect(users(after, 'FREE') - users(before, 'FREE')).toBe(2);
    expect(users(after, 'PRO') - users(before, 'PRO')).toBe(2);
    expect(users(after, 'TEAM') - users(before, 'TEAM')).toBe(1);
    const subs = (m: typeof after, provider: string, tier: string) => m.activeSubscriptions.find((s) => s.provider === provider && s.tier === tier)?.count ?? 0;
    expect(subs(after, 'STRIPE', 'PRO') - subs(before, 'STRIPE', 'PRO')).toBe(2);
    expect(subs(after, 'TOSS', 'TEAM') - subs(before, 'TOSS', 'TEAM')).toBe(1);
    const mrr = (m: typeof after, currency: string) => m.monthlyRecurringRevenue.find((r) => r.currency === currency)?.amount ?? 0;
    expect(mrr(after, 'USD') - mrr(before, 'USD')).toBe(2900);
    expect(mrr(after, 'KRW') - mrr(before, 'KRW')).toBe(129_000);
    const outcome = (m: typeof after, o: string) => m.webhookOutcomes24h.find((x) => x.outcome === o)!.count;
    expect(outcome(after, 'IGNORED') - outcome(before, 'IGNORED')).toBe(1);
    expect(after.webhookOutcomes24h.map((o) => o.outcome)).toEqual(['APPLIED', 'STALE', 'IGNORED', 'FAILED']);
  });
});

describe('adminWebhookEvents', () => {
  it('newest first, filtered by provider, outcome and event id, in pages', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const event = ctx.fakes.stripe.event('customer.created' as never, { id: `cus_${i}` });
      await deliver(ctx.server, stripeDelivery(event));
      ids.push(event.id);
    }
    const first = (await admin().request(AdminWebhookEventsDocument, { provider: 'STRIPE', outcome: 'IGNORED', first: 2 })).adminWebhookEvents;
    expect(first.edges.map((e) => e.node.eventId)).toEqual([ids[2], ids[1]]);
    expect(first.pageInfo.hasNextPage).toBe(true);
    expect(first.totalCount).toBeGreaterThanOrEqual(3);
    const second = (await admin().request(AdminWebhookEventsDocument, { provider: 'STRIPE', outcome: 'IGNORED', first: 2, after: first.pageInfo.endCursor })).adminWebhookEvents;
    expect(second.edges[0]!.node.eventId).toBe(ids[0]);

    const one = (await admin().request(AdminWebhookEventsDocument, { eventId: ids[1] })).adminWebhookEvents;
    expect(one.totalCount).toBe(1);
    expect(one.edges[0]!.node).toMatchObject({ provider: 'STRIPE', eventId: ids[1], type: 'customer.created', outcome: 'IGNORED' });
    expect((await admin().request(AdminWebhookEventsDocument, { provider: 'TOSS', eventId: ids[1] })).adminWebhookEvents.totalCount).toBe(0);
  });
});
