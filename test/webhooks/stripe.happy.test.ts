import { describe, expect, it, vi } from 'vitest';
import { CheckoutDocument, SubscriptionDocument, UsageDocument } from '../../sdk/index.js';
import { registerUser, type TestUser } from '../support/accounts.js';
import { STRIPE, useBillingServer } from '../support/billing.js';
import { auditFor, deliver, ledgerFor, stripeClock, stripeDelivery, subscriptionRow } from '../support/webhooks.js';

/** Issue 6 point 1 (Stripe): real-format events signed with the SDK drive tier, status and period end. */

const ctx = useBillingServer({ providers: ['stripe'] });
const DAY = 86_400;
const now = () => Math.floor(Date.now() / 1000);

async function send(type: Parameters<typeof ctx.fakes.stripe.event>[0], object: unknown, created: number) {
  const event = ctx.fakes.stripe.event(type, object, { created });
  const result = await deliver(ctx.server, stripeDelivery(event));
  return { ...result, eventId: event.id };
}

async function tierOf(user: TestUser) {
  return (await user.client.request(UsageDocument)).usage;
}

describe('Stripe webhooks', () => {
  it('created, renewed, payment failed (grace), recovered, cancelled at period end, expired', async () => {
    const user = await registerUser(ctx.server);
    const clock = stripeClock();
    const firstEnd = now() + 20 * DAY;
    const remote = ctx.fakes.stripe.createSubscription({ price: STRIPE.pricePro, metadata: { user_id: user.id }, currentPeriodEnd: firstEnd });

    // created
    const created = await send('customer.subscription.created', remote, clock());
    expect(created).toMatchObject({ status: 200, body: { received: true, outcome: 'APPLIED' } });
    expect(await ledgerFor(ctx.server, created.eventId)).toEqual([
      { provider: 'STRIPE', event_id: created.eventId, type: 'customer.subscription.created', outcome: 'APPLIED', error: null, attempts: 1 },
    ]);
    let usage = await tierOf(user);
    expect(usage.tier).toBe('PRO');
    expect(usage.limits).toEqual({ maxMemories: 50_000, maxAgents: 5, requestsPerMinute: 300, maxApiKeys: 5 });
    expect((await user.client.request(SubscriptionDocument)).subscription).toMatchObject({
      provider: 'STRIPE',
      tier: 'PRO',
      status: 'ACTIVE',
      cancelAtPeriodEnd: false,
      currentPeriodEnd: new Date(firstEnd * 1000).toISOString(),
    });

    // renewed: invoice.paid carries the new period on its line item
    const secondEnd = firstEnd + 30 * DAY;
    ctx.fakes.stripe.setSubscription(remote.id, { currentPeriodEnd: secondEnd });
    const renewal = ctx.fakes.stripe.invoice({ subscription: remote.id, amountPaid: 2900, periodEnd: secondEnd });
    expect((await send('invoice.paid', renewal, clock())).body.outcome).toBe('APPLIED');
    expect((await user.client.request(SubscriptionDocument)).subscription).toMatchObject({ status: 'ACTIVE', currentPeriodEnd: new Date(secondEnd * 1000).toISOString() });

    // payment failed: PAST_DUE, still PRO for the 7-day grace period, FREE after it
    const unpaid = ctx.fakes.stripe.invoice({ subscription: remote.id, amountPaid: 2900, periodEnd: secondEnd + 30 * DAY, status: 'open' });
    expect((await send('invoice.payment_failed', unpaid, clock())).body.outcome).toBe('APPLIED');
    expect((await user.client.request(SubscriptionDocument)).subscription!.status).toBe('PAST_DUE');
    expect((await tierOf(user)).tier).toBe('PRO');
    await ctx.server.sql(`update subscriptions set past_due_since = now() - interval '7 days 1 minute' where provider_subscription_id = ?`, [remote.id]);
    await ctx.server.rt.entitlements.changed(user.id);
    expect((await tierOf(user)).tier).toBe('FREE');

    // recovered: paid again
    expect((await send('invoice.paid', renewal, clock())).body.outcome).toBe('APPLIED');
    expect((await user.client.request(SubscriptionDocument)).subscription!.status).toBe('ACTIVE');
    expect((await tierOf(user)).tier).toBe('PRO');

    // cancelled at period end: CANCELED, entitled until the period end
    const cancelled = ctx.fakes.stripe.setSubscription(remote.id, { cancelAtPeriodEnd: true });
    expect((await send('customer.subscription.updated', cancelled, clock())).body.outcome).toBe('APPLIED');
    expect((await user.client.request(SubscriptionDocument)).subscription).toMatchObject({
      status: 'CANCELED',
      cancelAtPeriodEnd: true,
      currentPeriodEnd: new Date(secondEnd * 1000).toISOString(),
    });
    expect((await tierOf(user)).tier).toBe('PRO');

    // expired: the deleted event ends it
    const ended = ctx.fakes.stripe.setSubscription(remote.id, { status: 'canceled' });
    expect((await send('customer.subscription.deleted', ended, clock())).body.outcome).toBe('APPLIED');
    expect((await subscriptionRow(ctx.server, 'STRIPE', remote.id))!.status).toBe('EXPIRED');
    expect((await user.client.request(SubscriptionDocument)).subscription).toBeNull();
    usage = await tierOf(user);
    expect(usage.tier).toBe('FREE');
    expect(usage.limits.maxMemories).toBe(5_000);

    expect((await auditFor(ctx.server, user.id)).map((a) => [a.type, a.source, a.status_before, a.status_after, a.tier_after, a.amount, a.currency])).toEqual([
      ['SUBSCRIPTION_CREATED', 'webhook', null, 'ACTIVE', 'PRO', null, null],
      ['PAYMENT_SUCCEEDED', 'webhook', 'ACTIVE', 'ACTIVE', 'PRO', 2900, 'USD'],
      ['PAYMENT_FAILED', 'webhook', 'ACTIVE', 'PAST_DUE', 'PRO', 2900, 'USD'],
      ['PAYMENT_SUCCEEDED', 'webhook', 'PAST_DUE', 'ACTIVE', 'PRO', 2900, 'USD'],
      ['SUBSCRIPTION_CANCELED', 'webhook', 'ACTIVE', 'CANCELED', 'PRO', null, null],
      ['SUBSCRIPTION_EXPIRED', 'webhook', 'CANCELED', 'EXPIRED', 'FREE', null, null],
    ]);
  });

  it('a full refund of the current period ends the subscription at once; a partial one changes nothing', async () => {
    const user = await registerUser(ctx.server);
    const clock = stripeClock();
    const periodEnd = now() + 25 * DAY;
    const remote = ctx.fakes.stripe.createSubscription({ price: STRIPE.priceTeam, metadata: { user_id: user.id }, currentPeriodEnd: periodEnd });
    await send('customer.subscription.created', remote, clock());
    const invoice = ctx.fakes.stripe.invoice({ subscription: remote.id, amountPaid: 9900, periodEnd, billingReason: 'subscription_create' });
    expect((await tierOf(user)).tier).toBe('TEAM');

    const partial = ctx.fakes.stripe.charge({ amount: 9900, amountRefunded: 1000, invoice: invoice.id });
    const partialResult = await send('charge.refunded', partial, clock());
    expect(partialResult.body.outcome).toBe('IGNORED');
    expect((await ledgerFor(ctx.server, partialResult.eventId))[0]!.error).toMatch(/partial refund/);
    expect((await tierOf(user)).tier).toBe('TEAM');

    const full = ctx.fakes.stripe.charge({ amount: 9900, amountRefunded: 9900, invoice: invoice.id });
    expect((await send('charge.refunded', full, clock())).body.outcome).toBe('APPLIED');
    expect((await subscriptionRow(ctx.server, 'STRIPE', remote.id))!.status).toBe('EXPIRED');
    expect((await tierOf(user)).tier).toBe('FREE');
    expect((await auditFor(ctx.server, user.id)).at(-1)).toMatchObject({ type: 'REFUNDED', status_after: 'EXPIRED', tier_before: 'TEAM', tier_after: 'FREE', amount: 9900, currency: 'USD' });
  });

  it('checkout.session.completed: the subscription is read from Stripe, the checkout completes, the tier comes from the price', async () => {
    const user = await registerUser(ctx.server);
    const { checkout } = await user.client.request(CheckoutDocument, { input: { tier: 'PRO', provider: 'STRIPE' } });
    const { session, subscription } = ctx.fakes.stripe.completeCheckoutSession(checkout.sessionId);
    // Metadata a buyer could influence never sets the tier: only the configured price does.
    const result = await send('checkout.session.completed', { ...session, metadata: { ...session.metadata, tier: 'TEAM' } }, now() - 5);
    expect(result.body.outcome).toBe('APPLIED');
    expect(ctx.fakes.stripe.lastRequest('GET', `/v1/subscriptions/${subscription.id}`)).toBeDefined();
    expect((await tierOf(user)).tier).toBe('PRO');
    expect(await ctx.server.sql(`select status from checkouts where reference = ?`, [session.id])).toEqual([{ status: 'COMPLETED' }]);
    expect((await user.client.request(SubscriptionDocument)).subscription).toMatchObject({ provider: 'STRIPE', tier: 'PRO', status: 'ACTIVE' });
  });

  it('redeliveries: answered DUPLICATE by the ledger claim, and a checkout completion without asking Stripe again', async () => {
    const user = await registerUser(ctx.server);
    const { checkout } = await user.client.request(CheckoutDocument, { input: { tier: 'PRO', provider: 'STRIPE' } });
    const { session, subscription } = ctx.fakes.stripe.completeCheckoutSession(checkout.sessionId);
    const completed = ctx.fakes.stripe.event('checkout.session.completed', session, { created: now() - 10 });
    expect((await deliver(ctx.server, stripeDelivery(completed))).body.outcome).toBe('APPLIED');
    // Normalizing checkout.session.completed reads the subscription: a settled redelivery is answered first.
    ctx.fakes.stripe.reset();
    expect(await deliver(ctx.server, stripeDelivery(completed))).toMatchObject({ status: 200, body: { outcome: 'DUPLICATE' } });
    expect(ctx.fakes.stripe.requests).toHaveLength(0);

    // customer.subscription.* is normalized from the body alone: the claim inside the transaction answers it.
    const updated = ctx.fakes.stripe.event('customer.subscription.updated', subscription, { created: now() - 5 });
    expect((await deliver(ctx.server, stripeDelivery(updated))).body.outcome).toBe('APPLIED');
    expect(await deliver(ctx.server, stripeDelivery(updated))).toMatchObject({ status: 200, body: { outcome: 'DUPLICATE' } });
    for (const eventId of [completed.id, updated.id]) expect(await ledgerFor(ctx.server, eventId)).toMatchObject([{ outcome: 'APPLIED', attempts: 1 }]);
    expect((await auditFor(ctx.server, user.id)).map((a) => a.type)).toEqual(['SUBSCRIPTION_CREATED', 'SUBSCRIPTION_UPDATED']);
  });

  it('announces a plan change to every instance only when the event changed what the subscription entitles', async () => {
    const user = await registerUser(ctx.server);
    const remote = ctx.fakes.stripe.createSubscription({ price: STRIPE.pricePro, metadata: { user_id: user.id }, currentPeriodEnd: now() + 20 * DAY });
    const announced = vi.spyOn(ctx.server.rt.entitlements, 'changed');
    try {
      expect((await send('customer.subscription.created', remote, now() - 30)).body.outcome).toBe('APPLIED');
      expect(announced).toHaveBeenCalledTimes(1);
      // The same state again, newer: applied (audited, state_at moves on), nothing to announce.
      expect((await send('customer.subscription.updated', remote, now() - 20)).body.outcome).toBe('APPLIED');
      expect(announced).toHaveBeenCalledTimes(1);
      expect((await auditFor(ctx.server, user.id)).map((a) => a.type)).toEqual(['SUBSCRIPTION_CREATED', 'SUBSCRIPTION_UPDATED']);
      // Set to cancel at period end: CANCELED, announced, and the tier read afresh is still PRO until then.
      const canceling = ctx.fakes.stripe.setSubscription(remote.id, { cancelAtPeriodEnd: true });
      expect((await send('customer.subscription.updated', canceling, now() - 10)).body.outcome).toBe('APPLIED');
      expect(announced).toHaveBeenCalledTimes(2);
      expect(announced).toHaveBeenLastCalledWith(user.id);
      expect((await tierOf(user)).tier).toBe('PRO');
    } finally {
      announced.mockRestore();
    }
  });

  it('an event type it does not handle is answered 200 and recorded as ignored', async () => {
    const result = await send('customer.created' as never, { id: 'cus_x', object: 'customer' }, now());
    expect(result).toMatchObject({ status: 200, body: { outcome: 'IGNORED' } });
    expect((await ledgerFor(ctx.server, result.eventId))[0]).toMatchObject({ outcome: 'IGNORED', type: 'customer.created' });
  });
});
