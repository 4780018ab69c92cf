import { describe, expect, it } from 'vitest';
import { CancelSubscriptionDocument, CheckoutDocument, ConfirmTossBillingDocument, SubscriptionDocument, UsageDocument } from '../../sdk/index.js';
import { EXPIRY_JOB, TOSS_RENEWAL_JOB } from '../../src/jobs/billing.js';
import { Provider } from '../../src/entities/enums.js';
import { registerUser } from '../support/accounts.js';
import { LEMON, STRIPE, seedSubscription, seedStripeSubscription, useBillingServer } from '../support/billing.js';

const ctx = useBillingServer({});

describe('cancelSubscription', () => {
  it('Stripe: sets cancel_at_period_end; the plan stays until the period end', async () => {
    const user = await registerUser(ctx.server);
    const periodEnd = Math.floor(Date.now() / 1000) + 20 * 86_400;
    const remote = await seedStripeSubscription(ctx, user.id, { currentPeriodEnd: periodEnd });

    const { cancelSubscription } = await user.client.request(CancelSubscriptionDocument);
    const request = ctx.fakes.stripe.lastRequest('POST', `/v1/subscriptions/${remote.id}`)!;
    expect(request.headers.authorization).toBe(`Bearer ${STRIPE.secretKey}`);
    expect(request.body).toEqual({ cancel_at_period_end: 'true' });
    expect(cancelSubscription).toMatchObject({ provider: 'STRIPE', status: 'CANCELED', cancelAtPeriodEnd: true, currentPeriodEnd: new Date(periodEnd * 1000).toISOString() });
    expect((await user.client.request(UsageDocument)).usage.tier).toBe('PRO');
    expect(await ctx.server.sql(`select type, source, status_before, status_after, tier_after from subscription_events where user_id = ?`, [user.id])).toEqual([
      { type: 'SUBSCRIPTION_CANCELED', source: 'cancel', status_before: 'ACTIVE', status_after: 'CANCELED', tier_after: 'PRO' },
    ]);

    // Again: nothing more to do, nothing sent.
    ctx.fakes.stripe.reset();
    expect((await user.client.request(CancelSubscriptionDocument)).cancelSubscription.status).toBe('CANCELED');
    expect(ctx.fakes.stripe.requests).toHaveLength(0);
  });

  it('Lemon Squeezy: DELETE the subscription; CANCELED until ends_at', async () => {
    const user = await registerUser(ctx.server);
    const renewsAt = new Date(Date.now() + 15 * 86_400_000);
    const remote = ctx.fakes.lemon.createSubscription({ variantId: LEMON.variantPro, renewsAt, userId: user.id });
    await seedSubscription(ctx.server, { userId: user.id, provider: Provider.LEMON_SQUEEZY, providerSubscriptionId: remote.id });

    const { cancelSubscription } = await user.client.request(CancelSubscriptionDocument);
    const request = ctx.fakes.lemon.lastRequest('DELETE', `/v1/subscriptions/${remote.id}`)!;
    expect(request.headers.authorization).toBe(`Bearer ${LEMON.apiKey}`);
    expect(cancelSubscription).toMatchObject({ provider: 'LEMON_SQUEEZY', status: 'CANCELED', cancelAtPeriodEnd: true });
    expect(new Date(cancelSubscription.currentPeriodEnd!).getTime()).toBe(renewsAt.getTime());
    expect((await user.client.request(UsageDocument)).usage.tier).toBe('PRO');
  });

  it('Toss: stops renewing; the plan stays until the period end, then expires', async () => {
    const user = await registerUser(ctx.server);
    const { checkout } = await user.client.request(CheckoutDocument, { input: { tier: 'PRO', provider: 'TOSS' } });
    const customerKey = checkout.toss!.customerKey;
    const { confirmTossBilling } = await ctx.server.client().request(ConfirmTossBillingDocument, { input: { customerKey, authKey: ctx.fakes.toss.authorize(customerKey) } });
    ctx.fakes.toss.reset();

    const { cancelSubscription } = await user.client.request(CancelSubscriptionDocument);
    expect(ctx.fakes.toss.requests).toHaveLength(0);
    expect(cancelSubscription).toMatchObject({ status: 'CANCELED', cancelAtPeriodEnd: true, currentPeriodEnd: confirmTossBilling.currentPeriodEnd });
    expect((await user.client.request(UsageDocument)).usage.tier).toBe('PRO');

    // The period ends: no renewal charge, and the subscription expires.
    await ctx.server.sql(`update toss_billing set next_charge_at = now() - interval '1 second' where subscription_id = ?`, [confirmTossBilling.id]);
    await ctx.server.sql(`update subscriptions set current_period_end = now() - interval '1 second' where id = ?`, [confirmTossBilling.id]);
    await ctx.server.rt.scheduler.runNow(TOSS_RENEWAL_JOB);
    expect(ctx.fakes.toss.requests).toHaveLength(0);
    await ctx.server.rt.scheduler.runNow(EXPIRY_JOB);
    expect(await ctx.server.sql(`select status from subscriptions where id = ?`, [confirmTossBilling.id])).toEqual([{ status: 'EXPIRED' }]);
    expect((await user.client.request(SubscriptionDocument)).subscription).toBeNull();
    expect((await user.client.request(UsageDocument)).usage.tier).toBe('FREE');
  });
});
