import { describe, expect, it } from 'vitest';
import { AdminReconcileDocument, UsageDocument, createClient } from '../../sdk/index.js';
import { Provider } from '../../src/entities/enums.js';
import { RECONCILE_JOB } from '../../src/jobs/billing.js';
import { tossOrderId } from '../../src/services/billing/toss-billing.js';
import { registerUser } from '../support/accounts.js';
import { ADMIN_KEY, LEMON, STRIPE, seedSubscription, subscribeWithToss, useBillingServer } from '../support/billing.js';
import { subscriptionRow } from '../support/webhooks.js';

/**
 * Issue 6 point 7: reconciliation reads every live subscription back from its provider (the fakes'
 * APIs), fixes one whose stored state differs, and records the correction in the audit trail.
 */

const ctx = useBillingServer({});
const admin = () => createClient({ url: ctx.server.graphqlUrl, apiKey: ADMIN_KEY });
const reconcile = async (provider: 'STRIPE' | 'LEMON_SQUEEZY' | 'TOSS') => (await admin().request(AdminReconcileDocument, { provider })).adminReconcile;

const reconcileAudit = (subscriptionId: string) =>
  ctx.server.sql<{ type: string; source: string; status_before: string; status_after: string; tier_before: string; tier_after: string; payload: unknown }>(
    `select type, source, status_before, status_after, tier_before, tier_after, payload from subscription_events where subscription_id = ? and source = 'reconcile'`,
    [subscriptionId],
  );

async function stripeInSync() {
  const user = await registerUser(ctx.server);
  const remote = ctx.fakes.stripe.createSubscription({ price: STRIPE.pricePro, metadata: { user_id: user.id } });
  const id = await seedSubscription(ctx.server, {
    userId: user.id,
    provider: Provider.STRIPE,
    providerSubscriptionId: remote.id,
    providerCustomerId: remote.customer as string,
    currentPeriodEnd: new Date(remote.items.data[0]!.current_period_end * 1000),
  });
  return { user, remote, id };
}

describe('adminReconcile', () => {
  it('Stripe: a subscription that ended at Stripe (webhook lost) is expired here, and the correction audited', async () => {
    const inSync = await stripeInSync();
    const drifted = await stripeInSync();
    await reconcile('STRIPE'); // whatever earlier tests left behind
    expect(await reconcile('STRIPE')).toMatchObject({ provider: 'STRIPE', corrected: 0 });

    ctx.fakes.stripe.setSubscription(drifted.remote.id, { status: 'canceled' });
    const report = await reconcile('STRIPE');
    expect(report.corrected).toBe(1);
    expect(report.checked).toBeGreaterThanOrEqual(2);
    expect(ctx.fakes.stripe.lastRequest('GET', `/v1/subscriptions/${drifted.remote.id}`)).toBeDefined();
    expect(ctx.fakes.stripe.lastRequest('GET', `/v1/subscriptions/${inSync.remote.id}`)).toBeDefined();

    expect((await subscriptionRow(ctx.server, 'STRIPE', drifted.remote.id))!.status).toBe('EXPIRED');
    expect((await subscriptionRow(ctx.server, 'STRIPE', inSync.remote.id))!.status).toBe('ACTIVE');
    expect((await drifted.user.client.request(UsageDocument)).usage.tier).toBe('FREE');
    expect(await reconcileAudit(drifted.id)).toEqual([
      {
        type: 'SUBSCRIPTION_EXPIRED',
        source: 'reconcile',
        status_before: 'ACTIVE',
        status_after: 'EXPIRED',
        tier_before: 'PRO',
        tier_after: 'FREE',
        payload: { drift: { status: { stored: 'ACTIVE', provider: 'EXPIRED' } } },
      },
    ]);
    // Fixed: nothing more to correct.
    expect((await reconcile('STRIPE')).corrected).toBe(0);
  });

  it('Lemon Squeezy: cancelled there, ACTIVE here → CANCELED until ends_at; the daily job does the same', async () => {
    const user = await registerUser(ctx.server);
    const renewsAt = new Date(Date.now() + 12 * 86_400_000);
    const remote = ctx.fakes.lemon.createSubscription({ variantId: LEMON.variantPro, userId: user.id, renewsAt });
    const id = await seedSubscription(ctx.server, { userId: user.id, provider: Provider.LEMON_SQUEEZY, providerSubscriptionId: remote.id, currentPeriodEnd: renewsAt });
    await reconcile('LEMON_SQUEEZY');

    ctx.fakes.lemon.setSubscription(remote.id, { status: 'cancelled', cancelled: true, ends_at: remote.attributes.renews_at });
    await ctx.server.rt.scheduler.runNow(RECONCILE_JOB);
    expect(await subscriptionRow(ctx.server, 'LEMON_SQUEEZY', remote.id)).toMatchObject({ status: 'CANCELED', cancel_at_period_end: true });
    expect((await reconcileAudit(id)).map((a) => [a.type, a.status_after, a.tier_after])).toEqual([['SUBSCRIPTION_CANCELED', 'CANCELED', 'PRO']]);
    expect((await user.client.request(UsageDocument)).usage.tier).toBe('PRO');
  });

  it('Toss: a payment refunded at Toss without a webhook ends the subscription', async () => {
    const user = await registerUser(ctx.server);
    const { subscriptionId } = await subscribeWithToss(ctx.server, ctx.fakes.toss, user);
    const paymentKey = ctx.fakes.toss.charges.find((c) => c.orderId === tossOrderId(subscriptionId, 0))!.paymentKey;
    ctx.fakes.toss.setPaymentStatus(paymentKey, 'CANCELED');

    const report = await reconcile('TOSS');
    expect(report.corrected).toBe(1);
    expect(ctx.fakes.toss.lastRequest('GET', `/v1/payments/orders/${tossOrderId(subscriptionId, 0)}`)).toBeDefined();
    expect(await ctx.server.sql(`select status from subscriptions where id = ?`, [subscriptionId])).toEqual([{ status: 'EXPIRED' }]);
    expect((await reconcileAudit(subscriptionId)).map((a) => [a.type, a.status_before, a.status_after])).toEqual([['SUBSCRIPTION_EXPIRED', 'ACTIVE', 'EXPIRED']]);
    expect((await user.client.request(UsageDocument)).usage.tier).toBe('FREE');
  });

  it('a provider that cannot answer for one subscription does not stop the others', async () => {
    const { remote } = await stripeInSync();
    ctx.fakes.stripe.fail('error500', { paths: [`/v1/subscriptions/${remote.id}`] });
    const report = await reconcile('STRIPE');
    expect(report.corrected).toBe(0);
    expect(report.checked).toBeGreaterThanOrEqual(2);
  });
});
