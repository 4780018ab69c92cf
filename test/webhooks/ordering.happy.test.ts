import { describe, expect, it } from 'vitest';
import { SubscriptionDocument, UsageDocument } from '../../sdk/index.js';
import { registerUser } from '../support/accounts.js';
import { LEMON, STRIPE, useBillingServer } from '../support/billing.js';
import { auditFor, deliver, lemonDelivery, ledgerFor, stripeClock, stripeDelivery, subscriptionRow } from '../support/webhooks.js';

/**
 * Issue 6 point 4: events delivered out of order. Each subscription holds the provider time of its
 * state; an older event is recorded (STALE) and never applied over a newer state.
 */

const ctx = useBillingServer({ providers: ['stripe', 'lemon'] });
const DAY = 86_400;

describe('out-of-order delivery', () => {
  it('Stripe: customer.subscription.updated before created: the newer (updated) state stays', async () => {
    const user = await registerUser(ctx.server);
    const clock = stripeClock();
    const createdAt = clock();
    const updatedAt = clock();
    const firstEnd = Math.floor(Date.now() / 1000) + 10 * DAY;
    const remote = ctx.fakes.stripe.createSubscription({ price: STRIPE.pricePro, metadata: { user_id: user.id }, currentPeriodEnd: firstEnd });
    const createdEvent = ctx.fakes.stripe.event('customer.subscription.created', remote, { created: createdAt });
    // Later at Stripe: upgraded to TEAM and set to cancel at the period end.
    const updated = ctx.fakes.stripe.setSubscription(remote.id, { price: STRIPE.priceTeam, cancelAtPeriodEnd: true });
    const updatedEvent = ctx.fakes.stripe.event('customer.subscription.updated', updated, { created: updatedAt });

    expect((await deliver(ctx.server, stripeDelivery(updatedEvent))).body.outcome).toBe('APPLIED');
    expect((await deliver(ctx.server, stripeDelivery(createdEvent))).body.outcome).toBe('STALE');

    expect((await ledgerFor(ctx.server, createdEvent.id))[0]).toMatchObject({ outcome: 'STALE' });
    expect((await user.client.request(SubscriptionDocument)).subscription).toMatchObject({ tier: 'TEAM', status: 'CANCELED', cancelAtPeriodEnd: true });
    expect((await user.client.request(UsageDocument)).usage.tier).toBe('TEAM');
    // The stale event is in the ledger, not in the audit trail of applied changes.
    expect((await auditFor(ctx.server, user.id)).map((a) => a.type)).toEqual(['SUBSCRIPTION_CANCELED']);
  });

  it('Stripe: a stale active update after deleted does not bring the subscription back', async () => {
    const user = await registerUser(ctx.server);
    const clock = stripeClock();
    const remote = ctx.fakes.stripe.createSubscription({ price: STRIPE.pricePro, metadata: { user_id: user.id } });
    await deliver(ctx.server, stripeDelivery(ctx.fakes.stripe.event('customer.subscription.created', remote, { created: clock() })));
    const staleActive = ctx.fakes.stripe.event('customer.subscription.updated', remote, { created: clock() });
    const deleted = ctx.fakes.stripe.event('customer.subscription.deleted', ctx.fakes.stripe.setSubscription(remote.id, { status: 'canceled' }), { created: clock() });

    expect((await deliver(ctx.server, stripeDelivery(deleted))).body.outcome).toBe('APPLIED');
    expect((await deliver(ctx.server, stripeDelivery(staleActive))).body.outcome).toBe('STALE');
    expect((await subscriptionRow(ctx.server, 'STRIPE', remote.id))!.status).toBe('EXPIRED');
    expect((await user.client.request(UsageDocument)).usage.tier).toBe('FREE');
  });

  it('Stripe: an active update carrying the same second as deleted loses to it (EXPIRED wins a tie)', async () => {
    const user = await registerUser(ctx.server);
    const at = Math.floor(Date.now() / 1000) - 60;
    const remote = ctx.fakes.stripe.createSubscription({ price: STRIPE.pricePro, metadata: { user_id: user.id } });
    await deliver(ctx.server, stripeDelivery(ctx.fakes.stripe.event('customer.subscription.created', remote, { created: at - 10 })));
    const deleted = ctx.fakes.stripe.event('customer.subscription.deleted', ctx.fakes.stripe.setSubscription(remote.id, { status: 'canceled' }), { created: at });
    const sameSecond = ctx.fakes.stripe.event('customer.subscription.updated', { ...remote, status: 'active' }, { created: at });
    await deliver(ctx.server, stripeDelivery(deleted));
    expect((await deliver(ctx.server, stripeDelivery(sameSecond))).body.outcome).toBe('STALE');
    expect((await subscriptionRow(ctx.server, 'STRIPE', remote.id))!.status).toBe('EXPIRED');
  });

  it('Lemon Squeezy: ordered by data.attributes.updated_at, whatever the arrival order', async () => {
    const user = await registerUser(ctx.server);
    const remote = ctx.fakes.lemon.createSubscription({ variantId: LEMON.variantPro, userId: user.id, updatedAt: new Date(Date.now() - 60_000) });
    const created = ctx.fakes.lemon.webhook('subscription_created', remote);
    const cancelled = ctx.fakes.lemon.webhook(
      'subscription_cancelled',
      ctx.fakes.lemon.setSubscription(remote.id, { status: 'cancelled', cancelled: true, ends_at: remote.attributes.renews_at }),
    );
    expect((await deliver(ctx.server, lemonDelivery(cancelled))).body.outcome).toBe('APPLIED');
    expect((await deliver(ctx.server, lemonDelivery(created))).body.outcome).toBe('STALE');
    expect((await user.client.request(SubscriptionDocument)).subscription).toMatchObject({ status: 'CANCELED', cancelAtPeriodEnd: true });
  });
});
