import { describe, expect, it } from 'vitest';
import { CancelSubscriptionDocument, SubscriptionDocument, UsageDocument } from '../../sdk/index.js';
import { EXPIRY_JOB, TOSS_RENEWAL_JOB } from '../../src/jobs/billing.js';
import { tossOrderId } from '../../src/services/billing/toss-billing.js';
import { registerUser, type TestUser } from '../support/accounts.js';
import { subscribeWithToss, useBillingServer } from '../support/billing.js';
import { auditFor, deliver, ledgerFor, tossDelivery } from '../support/webhooks.js';

/**
 * Issue 6 point 1 (Toss). Toss has no subscription events: we charge each period ourselves
 * (confirmTossBilling, the renewal job), so created, renewed, payment failed, cancelled and expired
 * come from our own billing, and Toss's PAYMENT_STATUS_CHANGED webhooks (unsigned, as Toss sends
 * them) are read back from the Toss fake's API: a DONE payment changes nothing, a full cancellation
 * (refund) of the current period's payment ends the subscription at once.
 */

const ctx = useBillingServer({ providers: ['toss'] });

const tierOf = async (user: TestUser) => (await user.client.request(UsageDocument)).usage.tier;
const subscriptionOf = async (user: TestUser) => (await user.client.request(SubscriptionDocument)).subscription;
const makeDue = (subscriptionId: string) => ctx.server.sql(`update toss_billing set next_charge_at = now() - interval '1 second' where subscription_id = ?`, [subscriptionId]);
const paymentKeyOf = (orderId: string) => ctx.fakes.toss.charges.find((c) => c.orderId === orderId)!.paymentKey;

async function sendPaymentEvent(paymentKey: string) {
  const delivery = tossDelivery(ctx.fakes.toss.paymentStatusChangedEvent(paymentKey));
  return { ...(await deliver(ctx.server, delivery)), eventId: delivery.headers['tosspayments-webhook-transmission-id']! };
}

describe('Toss webhooks and the Toss subscription lifecycle', () => {
  it('created, renewed, payment failed, cancelled, expired; payment webhooks of DONE payments change nothing', async () => {
    const user = await registerUser(ctx.server);
    const { subscriptionId, currentPeriodEnd, billingKey } = await subscribeWithToss(ctx.server, ctx.fakes.toss, user);
    expect(await tierOf(user)).toBe('PRO');
    expect(await subscriptionOf(user)).toMatchObject({ provider: 'TOSS', status: 'ACTIVE', currentPeriodEnd });

    const created = await sendPaymentEvent(paymentKeyOf(tossOrderId(subscriptionId, 0)));
    expect(created).toMatchObject({ status: 200, body: { outcome: 'IGNORED' } });
    expect((await ledgerFor(ctx.server, created.eventId))[0]).toMatchObject({ provider: 'TOSS', type: 'PAYMENT_STATUS_CHANGED', outcome: 'IGNORED' });
    expect(ctx.fakes.toss.lastRequest('GET', '/v1/payments/')).toBeDefined();

    // renewed by the job
    await makeDue(subscriptionId);
    await ctx.server.rt.scheduler.runNow(TOSS_RENEWAL_JOB);
    const renewed = await subscriptionOf(user);
    expect(renewed!.status).toBe('ACTIVE');
    expect(new Date(renewed!.currentPeriodEnd!).getTime()).toBeGreaterThan(new Date(currentPeriodEnd).getTime());
    expect((await sendPaymentEvent(paymentKeyOf(tossOrderId(subscriptionId, 1)))).body.outcome).toBe('IGNORED');

    // payment failed: PAST_DUE, still PRO in the grace period
    ctx.fakes.toss.declineBillingKey(billingKey);
    await makeDue(subscriptionId);
    await ctx.server.rt.scheduler.runNow(TOSS_RENEWAL_JOB);
    expect((await subscriptionOf(user))!.status).toBe('PAST_DUE');
    expect(await tierOf(user)).toBe('PRO');

    // cancelled: stops renewing, PRO until the period end; then expired
    ctx.fakes.toss.reset();
    await user.client.request(CancelSubscriptionDocument);
    expect(await subscriptionOf(user)).toMatchObject({ status: 'CANCELED', cancelAtPeriodEnd: true });
    expect(await tierOf(user)).toBe('PRO');
    await ctx.server.sql(`update subscriptions set current_period_end = now() - interval '1 second' where id = ?`, [subscriptionId]);
    await ctx.server.rt.scheduler.runNow(EXPIRY_JOB);
    expect(await subscriptionOf(user)).toBeNull();
    expect(await tierOf(user)).toBe('FREE');
  });

  it('refunded: a full cancellation of the current payment, read back from Toss, ends the subscription at once', async () => {
    const user = await registerUser(ctx.server);
    const { subscriptionId } = await subscribeWithToss(ctx.server, ctx.fakes.toss, user, 'TEAM');
    const paymentKey = paymentKeyOf(tossOrderId(subscriptionId, 0));
    expect(await tierOf(user)).toBe('TEAM');

    ctx.fakes.toss.setPaymentStatus(paymentKey, 'CANCELED');
    const refunded = await sendPaymentEvent(paymentKey);
    expect(refunded).toMatchObject({ status: 200, body: { outcome: 'APPLIED' } });
    expect(await tierOf(user)).toBe('FREE');
    expect(await ctx.server.sql(`select status from subscriptions where id = ?`, [subscriptionId])).toEqual([{ status: 'EXPIRED' }]);
    expect(await ctx.server.sql(`select status from toss_payments where payment_key = ?`, [paymentKey])).toEqual([{ status: 'CANCELED' }]);
    expect((await auditFor(ctx.server, user.id)).at(-1)).toMatchObject({ type: 'REFUNDED', source: 'webhook', status_after: 'EXPIRED', tier_after: 'FREE', amount: 129_000, currency: 'KRW' });

    // Toss retries with the same transmission id: a duplicate, without asking Toss again.
    ctx.fakes.toss.reset();
    const again = tossDelivery(ctx.fakes.toss.paymentStatusChangedEvent(paymentKey), { transmissionId: refunded.eventId });
    expect(await deliver(ctx.server, again)).toMatchObject({ status: 200, body: { outcome: 'DUPLICATE' } });
    expect(ctx.fakes.toss.requests).toHaveLength(0);
    expect(await ledgerFor(ctx.server, refunded.eventId)).toHaveLength(1);
    expect((await auditFor(ctx.server, user.id)).filter((a) => a.type === 'REFUNDED')).toHaveLength(1);
  });
});
