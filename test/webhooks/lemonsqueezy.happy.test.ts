import { describe, expect, it } from 'vitest';
import { CheckoutDocument, SubscriptionDocument, UsageDocument } from '../../sdk/index.js';
import type { LemonEventName, LemonResource } from '../fakes/index.js';
import { registerUser, type TestUser } from '../support/accounts.js';
import { LEMON, useBillingServer } from '../support/billing.js';
import { auditFor, deliver, lemonDelivery, ledgerFor, subscriptionRow } from '../support/webhooks.js';
import { sha256Hex } from '../../src/crypto.js';

/** Issue 6 point 1 (Lemon Squeezy): bodies signed with the hex HMAC drive tier, status and period end. */

const ctx = useBillingServer({ providers: ['lemon'] });
const DAY_MS = 86_400_000;

async function send(eventName: LemonEventName, resource: LemonResource<object>) {
  const body = ctx.fakes.lemon.webhook(eventName, resource);
  return { ...(await deliver(ctx.server, lemonDelivery(body))), eventId: sha256Hex(body) };
}

const tierOf = async (user: TestUser) => (await user.client.request(UsageDocument)).usage.tier;
const subscriptionOf = async (user: TestUser) => (await user.client.request(SubscriptionDocument)).subscription;
/** Lemon Squeezy timestamps have microseconds; make sure the next state is strictly newer. */
const tick = () => new Promise((r) => setTimeout(r, 5));

describe('Lemon Squeezy webhooks', () => {
  it('created, renewed, payment failed, recovered, paused and unpaused, cancelled (until ends_at), expired', async () => {
    const user = await registerUser(ctx.server);
    const renewsAt = new Date(Date.now() + 20 * DAY_MS);
    const remote = ctx.fakes.lemon.createSubscription({ variantId: LEMON.variantPro, userId: user.id, renewsAt });

    const created = await send('subscription_created', remote);
    expect(created).toMatchObject({ status: 200, body: { outcome: 'APPLIED' } });
    // Lemon Squeezy sends no event id: the ledger keys the event by the SHA-256 of its body.
    expect((await ledgerFor(ctx.server, created.eventId))[0]).toMatchObject({ provider: 'LEMON_SQUEEZY', type: 'subscription_created', outcome: 'APPLIED' });
    expect(await tierOf(user)).toBe('PRO');
    expect(await subscriptionOf(user)).toMatchObject({ provider: 'LEMON_SQUEEZY', tier: 'PRO', status: 'ACTIVE', currentPeriodEnd: renewsAt.toISOString() });
    // The recurring amount (revenue metrics) is the plan's price for the variant's tier.
    expect(await ctx.server.sql(`select amount, currency from subscriptions where provider_subscription_id = ?`, [remote.id])).toEqual([{ amount: 2900, currency: 'USD' }]);

    // renewed: the payment, then the subscription with its new renews_at
    await tick();
    const invoice = ctx.fakes.lemon.subscriptionInvoice({ subscriptionId: remote.id, total: 2900, billingReason: 'renewal' });
    expect((await send('subscription_payment_success', invoice)).body.outcome).toBe('APPLIED');
    const nextRenewal = new Date(renewsAt.getTime() + 30 * DAY_MS);
    expect((await send('subscription_updated', ctx.fakes.lemon.setSubscription(remote.id, { renews_at: nextRenewal.toISOString() }))).body.outcome).toBe('APPLIED');
    expect(await subscriptionOf(user)).toMatchObject({ status: 'ACTIVE', currentPeriodEnd: nextRenewal.toISOString() });

    // payment failed: PAST_DUE, still PRO (grace); recovered: ACTIVE
    await tick();
    expect((await send('subscription_payment_failed', ctx.fakes.lemon.subscriptionInvoice({ subscriptionId: remote.id, status: 'pending', total: 2900 }))).body.outcome).toBe('APPLIED');
    expect((await subscriptionOf(user))!.status).toBe('PAST_DUE');
    expect(await tierOf(user)).toBe('PRO');
    await tick();
    expect((await send('subscription_payment_recovered', ctx.fakes.lemon.subscriptionInvoice({ subscriptionId: remote.id, total: 2900 }))).body.outcome).toBe('APPLIED');
    expect((await subscriptionOf(user))!.status).toBe('ACTIVE');

    // paused: not entitled; unpaused: ACTIVE again
    await tick();
    expect((await send('subscription_paused', ctx.fakes.lemon.setSubscription(remote.id, { status: 'paused', pause: { mode: 'void', resumes_at: null } }))).body.outcome).toBe('APPLIED');
    expect(await tierOf(user)).toBe('FREE');
    await tick();
    expect((await send('subscription_unpaused', ctx.fakes.lemon.setSubscription(remote.id, { status: 'active', pause: null }))).body.outcome).toBe('APPLIED');
    expect(await tierOf(user)).toBe('PRO');

    // cancelled: CANCELED until ends_at, still PRO
    await tick();
    const cancelled = ctx.fakes.lemon.setSubscription(remote.id, { status: 'cancelled', cancelled: true, ends_at: nextRenewal.toISOString() });
    expect((await send('subscription_cancelled', cancelled)).body.outcome).toBe('APPLIED');
    expect(await subscriptionOf(user)).toMatchObject({ status: 'CANCELED', cancelAtPeriodEnd: true, currentPeriodEnd: nextRenewal.toISOString() });
    expect(await tierOf(user)).toBe('PRO');

    // expired
    await tick();
    expect((await send('subscription_expired', ctx.fakes.lemon.setSubscription(remote.id, { status: 'expired' }))).body.outcome).toBe('APPLIED');
    expect((await subscriptionRow(ctx.server, 'LEMON_SQUEEZY', remote.id))!.status).toBe('EXPIRED');
    expect(await subscriptionOf(user)).toBeNull();
    expect(await tierOf(user)).toBe('FREE');

    expect((await auditFor(ctx.server, user.id)).map((a) => [a.type, a.status_after, a.tier_after])).toEqual([
      ['SUBSCRIPTION_CREATED', 'ACTIVE', 'PRO'],
      ['PAYMENT_SUCCEEDED', 'ACTIVE', 'PRO'],
      ['SUBSCRIPTION_UPDATED', 'ACTIVE', 'PRO'],
      ['PAYMENT_FAILED', 'PAST_DUE', 'PRO'],
      ['PAYMENT_SUCCEEDED', 'ACTIVE', 'PRO'],
      ['SUBSCRIPTION_EXPIRED', 'EXPIRED', 'FREE'],
      ['SUBSCRIPTION_UPDATED', 'ACTIVE', 'PRO'],
      ['SUBSCRIPTION_CANCELED', 'CANCELED', 'PRO'],
      ['SUBSCRIPTION_EXPIRED', 'EXPIRED', 'FREE'],
    ]);
  });

  it('a full refund ends the subscription at once; a partial refund changes nothing', async () => {
    const user = await registerUser(ctx.server);
    const remote = ctx.fakes.lemon.createSubscription({ variantId: LEMON.variantTeam, userId: user.id });
    await send('subscription_created', remote);
    expect(await tierOf(user)).toBe('TEAM');
    await tick();
    const partial = await send('subscription_payment_refunded', ctx.fakes.lemon.subscriptionInvoice({ subscriptionId: remote.id, total: 9900, status: 'partial_refund', refundedAmount: 900 }));
    expect(partial.body.outcome).toBe('IGNORED');
    expect(await tierOf(user)).toBe('TEAM');
    await tick();
    const full = await send('subscription_payment_refunded', ctx.fakes.lemon.subscriptionInvoice({ subscriptionId: remote.id, total: 9900, status: 'refunded' }));
    expect(full.body.outcome).toBe('APPLIED');
    expect(await tierOf(user)).toBe('FREE');
    expect((await auditFor(ctx.server, user.id)).at(-1)).toMatchObject({ type: 'REFUNDED', status_after: 'EXPIRED', amount: 9900, currency: 'USD', tier_before: 'TEAM', tier_after: 'FREE' });
  });

  it('order_refunded: a full refund of the order that started the subscription ends it; partial or past-period refunds do not', async () => {
    const user = await registerUser(ctx.server);
    const remote = ctx.fakes.lemon.createSubscription({ variantId: LEMON.variantPro, userId: user.id });
    await send('subscription_created', remote);
    const orderId = remote.attributes.order_id;

    await tick();
    const partial = ctx.fakes.lemon.order({ id: orderId, variantId: LEMON.variantPro, total: 2900, status: 'partial_refund', refundedAmount: 100 });
    expect((await send('order_refunded', partial)).body.outcome).toBe('IGNORED');
    expect(await tierOf(user)).toBe('PRO');

    // An order paid two months before the current renewal date: that period is over.
    const old = ctx.fakes.lemon.order({ id: orderId, variantId: LEMON.variantPro, total: 2900, status: 'refunded', createdAt: new Date(Date.now() - 40 * DAY_MS) });
    const oldResult = await send('order_refunded', old);
    expect(oldResult.body.outcome).toBe('IGNORED');
    expect((await ledgerFor(ctx.server, oldResult.eventId))[0]!.error).toMatch(/past period/);

    await tick();
    const full = ctx.fakes.lemon.order({ id: orderId, variantId: LEMON.variantPro, total: 2900, status: 'refunded' });
    expect((await send('order_refunded', full)).body.outcome).toBe('APPLIED');
    expect(ctx.fakes.lemon.lastRequest('GET', '/v1/subscriptions')!.query).toEqual({ 'filter[order_id]': String(orderId) });
    expect(await tierOf(user)).toBe('FREE');
    expect((await auditFor(ctx.server, user.id)).at(-1)).toMatchObject({ type: 'REFUNDED', status_after: 'EXPIRED', amount: 2900, currency: 'USD' });
  });

  it('a checkout completed at Lemon Squeezy: the user comes from our custom data, the tier from the variant', async () => {
    const user = await registerUser(ctx.server);
    const { checkout } = await user.client.request(CheckoutDocument, { input: { tier: 'TEAM', provider: 'LEMON_SQUEEZY' } });
    const remote = ctx.fakes.lemon.completeCheckout(checkout.sessionId);
    expect((await send('subscription_created', remote)).body.outcome).toBe('APPLIED');
    expect(await subscriptionOf(user)).toMatchObject({ provider: 'LEMON_SQUEEZY', tier: 'TEAM', status: 'ACTIVE' });
  });

  it('an event it does not handle (order_created) is answered 200 and recorded as ignored', async () => {
    const order = ctx.fakes.lemon.order({ variantId: LEMON.variantPro });
    const result = await send('order_created', order);
    expect(result).toMatchObject({ status: 200, body: { outcome: 'IGNORED' } });
  });
});
