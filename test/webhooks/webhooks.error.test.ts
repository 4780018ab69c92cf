import { describe, expect, it } from 'vitest';
import { AdminReplayWebhookEventDocument, CheckoutDocument, AdminWebhookEventsDocument, UsageDocument, createClient } from '../../sdk/index.js';
import { registerUser } from '../support/accounts.js';
import { ADMIN_KEY, STRIPE, seedStripeSubscription, useBillingServer } from '../support/billing.js';
import { auditFor, deliver, ledgerFor, stripeDelivery, subscriptionRow } from '../support/webhooks.js';

/**
 * Issue 6 point 5: a handler failure (forced here by a trigger that makes the audit insert fail, the
 * last write of the transaction) answers 500, leaves no partial state, keeps the event visible as
 * FAILED, and a later redelivery or adminReplayWebhookEvent applies it once.
 */

const ctx = useBillingServer({ providers: ['stripe'] });
const admin = () => createClient({ url: ctx.server.graphqlUrl, apiKey: ADMIN_KEY });

async function failAuditFor(userId: string) {
  await ctx.server.sql(`create or replace function stellar_test_fail_audit() returns trigger language plpgsql as $$
    begin raise exception 'forced failure for a test'; end $$`);
  await ctx.server.sql(`create trigger stellar_test_fail_audit_${userId.replace(/-/g, '')} before insert on subscription_events
    for each row when (new.user_id = '${userId}') execute function stellar_test_fail_audit()`);
  return () => ctx.server.sql(`drop trigger stellar_test_fail_audit_${userId.replace(/-/g, '')} on subscription_events`);
}

async function activeSubscriptionAndDeletedEvent() {
  const user = await registerUser(ctx.server);
  const remote = await seedStripeSubscription(ctx, user.id);
  const deleted = ctx.fakes.stripe.event('customer.subscription.deleted', ctx.fakes.stripe.setSubscription(remote.id, { status: 'canceled' }), { created: Math.floor(Date.now() / 1000) });
  return { user, remote, deleted, delivery: stripeDelivery(deleted) };
}

async function expectNothingApplied(user: { id: string; client: ReturnType<typeof createClient> }, subscriptionId: string) {
  expect((await subscriptionRow(ctx.server, 'STRIPE', subscriptionId))!.status).toBe('ACTIVE');
  expect(await auditFor(ctx.server, user.id)).toEqual([]);
  expect((await user.client.request(UsageDocument)).usage.tier).toBe('PRO');
}

describe('a failing webhook', () => {
  it('answers 500, changes nothing, stays FAILED; the provider’s redelivery applies it once', async () => {
    const { user, remote, deleted, delivery } = await activeSubscriptionAndDeletedEvent();
    const restore = await failAuditFor(user.id);

    const failed = await deliver(ctx.server, delivery);
    expect(failed.status).toBe(500);
    await expectNothingApplied(user, remote.id);
    expect(await ledgerFor(ctx.server, deleted.id)).toEqual([
      { provider: 'STRIPE', event_id: deleted.id, type: 'customer.subscription.deleted', outcome: 'FAILED', error: expect.stringMatching(/forced failure/), attempts: 1 },
    ]);
    // Stripe retries while it keeps failing: still one row, counting attempts.
    expect((await deliver(ctx.server, delivery)).status).toBe(500);
    expect((await ledgerFor(ctx.server, deleted.id))[0]).toMatchObject({ outcome: 'FAILED', attempts: 2 });

    await restore();
    const retried = await deliver(ctx.server, delivery);
    expect(retried).toMatchObject({ status: 200, body: { outcome: 'APPLIED' } });
    expect((await ledgerFor(ctx.server, deleted.id))[0]).toMatchObject({ outcome: 'APPLIED', error: null, attempts: 3 });
    expect((await subscriptionRow(ctx.server, 'STRIPE', remote.id))!.status).toBe('EXPIRED');
    expect((await auditFor(ctx.server, user.id)).map((a) => a.type)).toEqual(['SUBSCRIPTION_EXPIRED']);
    expect((await user.client.request(UsageDocument)).usage.tier).toBe('FREE');

    // A further redelivery is a duplicate.
    expect((await deliver(ctx.server, delivery)).body.outcome).toBe('DUPLICATE');
    expect(await auditFor(ctx.server, user.id)).toHaveLength(1);
  });

  it('is listed as FAILED for the operator and applied by adminReplayWebhookEvent', async () => {
    const { user, remote, deleted, delivery } = await activeSubscriptionAndDeletedEvent();
    const restore = await failAuditFor(user.id);
    expect((await deliver(ctx.server, delivery)).status).toBe(500);

    const { adminWebhookEvents } = await admin().request(AdminWebhookEventsDocument, { outcome: 'FAILED', eventId: deleted.id });
    expect(adminWebhookEvents.totalCount).toBe(1);
    const failed = adminWebhookEvents.edges[0]!.node;
    expect(failed).toMatchObject({ provider: 'STRIPE', eventId: deleted.id, type: 'customer.subscription.deleted', outcome: 'FAILED' });
    expect(failed.error).toMatch(/forced failure/);

    // Replayed while the cause is still there: still FAILED, nothing applied.
    expect((await admin().request(AdminReplayWebhookEventDocument, { id: failed.id })).adminReplayWebhookEvent.outcome).toBe('FAILED');
    await expectNothingApplied(user, remote.id);

    await restore();
    const { adminReplayWebhookEvent } = await admin().request(AdminReplayWebhookEventDocument, { id: failed.id });
    expect(adminReplayWebhookEvent).toMatchObject({ id: failed.id, outcome: 'APPLIED', error: null });
    expect((await subscriptionRow(ctx.server, 'STRIPE', remote.id))!.status).toBe('EXPIRED');
    expect((await user.client.request(UsageDocument)).usage.tier).toBe('FREE');

    // Replaying an applied event runs nothing again; the provider's late redelivery is a duplicate.
    expect((await admin().request(AdminReplayWebhookEventDocument, { id: failed.id })).adminReplayWebhookEvent.outcome).toBe('APPLIED');
    expect((await deliver(ctx.server, delivery)).body.outcome).toBe('DUPLICATE');
    expect(await auditFor(ctx.server, user.id)).toHaveLength(1);
  });

  it('10 concurrent redeliveries of a FAILED event: one takes it over and applies it, the others are duplicates', async () => {
    const { user, remote, deleted, delivery } = await activeSubscriptionAndDeletedEvent();
    const restore = await failAuditFor(user.id);
    expect((await deliver(ctx.server, delivery)).status).toBe(500);
    await restore();

    const results = await Promise.all(Array.from({ length: 10 }, () => deliver(ctx.server, delivery)));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(results.map((r) => r.body.outcome).sort()).toEqual(['APPLIED', ...Array(9).fill('DUPLICATE')]);
    expect((await ledgerFor(ctx.server, deleted.id))[0]).toMatchObject({ outcome: 'APPLIED', error: null, attempts: 2 });
    expect((await subscriptionRow(ctx.server, 'STRIPE', remote.id))!.status).toBe('EXPIRED');
    expect((await auditFor(ctx.server, user.id)).map((a) => a.type)).toEqual(['SUBSCRIPTION_EXPIRED']);
  });

  it('creating a subscription: no subscription row and the checkout still open after the failure', async () => {
    const user = await registerUser(ctx.server);
    const { checkout } = await user.client.request(CheckoutDocument, { input: { tier: 'PRO', provider: 'STRIPE' } });
    const { session, subscription } = ctx.fakes.stripe.completeCheckoutSession(checkout.sessionId);
    const delivery = stripeDelivery(ctx.fakes.stripe.event('checkout.session.completed', session));
    const restore = await failAuditFor(user.id);
    expect((await deliver(ctx.server, delivery)).status).toBe(500);
    expect(await subscriptionRow(ctx.server, 'STRIPE', subscription.id)).toBeUndefined();
    expect(await ctx.server.sql(`select status from checkouts where reference = ?`, [session.id])).toEqual([{ status: 'OPEN' }]);
    await restore();
    expect((await deliver(ctx.server, delivery)).body.outcome).toBe('APPLIED');
    expect(await ctx.server.sql(`select status from checkouts where reference = ?`, [session.id])).toEqual([{ status: 'COMPLETED' }]);
    expect((await user.client.request(UsageDocument)).usage.tier).toBe('PRO');
  });

  it('fails with 500 and is recorded when the provider API it needs is down, then applies on redelivery', async () => {
    const user = await registerUser(ctx.server);
    const { checkout } = await user.client.request(CheckoutDocument, { input: { tier: 'PRO', provider: 'STRIPE' } });
    const { session } = ctx.fakes.stripe.completeCheckoutSession(checkout.sessionId);
    const delivery = stripeDelivery(ctx.fakes.stripe.event('checkout.session.completed', session));
    ctx.fakes.stripe.fail('error500', { paths: ['/v1/subscriptions/'] });
    expect((await deliver(ctx.server, delivery)).status).toBe(500);
    expect(await ctx.server.sql(`select outcome from webhook_events where type = 'checkout.session.completed' and payload->'data'->'object'->>'id' = ?`, [session.id])).toEqual([
      { outcome: 'FAILED' },
    ]);
    expect((await user.client.request(UsageDocument)).usage.tier).toBe('FREE');
    ctx.fakes.stripe.reset();
    expect((await deliver(ctx.server, delivery)).body.outcome).toBe('APPLIED');
    expect((await user.client.request(UsageDocument)).usage.tier).toBe('PRO');
  });

  it('an event for a subscription that is not ours is answered 200 and recorded as ignored', async () => {
    // A subscription made elsewhere on the Stripe account: no user of ours in its metadata.
    const remote = ctx.fakes.stripe.createSubscription({ price: STRIPE.pricePro });
    const event = ctx.fakes.stripe.event('customer.subscription.updated', remote);
    const result = await deliver(ctx.server, stripeDelivery(event));
    expect(result).toMatchObject({ status: 200, body: { outcome: 'IGNORED' } });
    expect((await ledgerFor(ctx.server, event.id))[0]!.error).toMatch(/no such subscription/);
  });

  it('a signed body that is not JSON is refused with 400', async () => {
    const result = await deliver(ctx.server, { ...stripeDelivery(ctx.fakes.stripe.event('invoice.paid', {})), body: 'not json' });
    expect(result.status).toBe(400);
  });
});
