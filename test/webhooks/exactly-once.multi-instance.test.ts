import { describe, expect, it } from 'vitest';
import { CheckoutDocument, ConfirmTossBillingDocument, createClient } from '../../sdk/index.js';
import { tossOrderId } from '../../src/services/billing/toss-billing.js';
import { Provider } from '../../src/entities/enums.js';
import { applyWebhookEvent } from '../../src/services/billing/webhooks/apply-webhook-event.js';
import { registerUser } from '../support/accounts.js';
import { LEMON, STRIPE, billingEnv } from '../support/billing.js';
import { fileDatabase, SHARED_DATABASE_SKIP_REASON, sharedDatabaseAvailable } from '../support/database.js';
import { useTestServer } from '../support/server.js';
import { query } from '../support/sql.js';
import { useFakesAndProcesses, deliver, lemonDelivery, stripeDelivery, tossDelivery, type Delivery } from '../support/webhooks.js';

/**
 * Issue 6 point 3: the same event delivered 10 times at once, split across two server processes on
 * one database, is applied once: one ledger row, one audit row, one subscription (Stripe, Lemon
 * Squeezy, and a Toss refund). (The unique
 * (provider, event id) row is claimed in the transaction that applies the event, so concurrent
 * deliveries wait for it and then find a duplicate.) In-process, the same holds on one server.
 */

const ctx = useFakesAndProcesses();

type Sql = (text: string, params: unknown[]) => Promise<Record<string, unknown>[]>;

async function tenAtOnce(targets: { url: string }[], delivery: Delivery) {
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) => deliver(targets[i % targets.length]!, delivery)));
  expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
  const outcomes = results.map((r) => r.body.outcome).sort();
  expect(outcomes).toEqual(['APPLIED', ...Array(9).fill('DUPLICATE')]);
}

async function appliedOnce(sql: Sql, userId: string, eventId: string, auditTypes = ['SUBSCRIPTION_CREATED']) {
  expect(await sql(`select outcome, attempts from webhook_events where event_id = $1`, [eventId])).toEqual([{ outcome: 'APPLIED', attempts: 1 }]);
  expect((await sql(`select type from subscription_events where user_id = $1 order by created_at`, [userId])).map((r) => r.type)).toEqual(auditTypes);
  expect(await sql(`select count(*)::int as n from subscriptions where user_id = $1`, [userId])).toEqual([{ n: 1 }]);
}

async function scenario(targets: { url: string; graphqlUrl: string }[], sql: Sql) {
  const signUp = () => registerUser({ client: (key) => createClient({ url: targets[0]!.graphqlUrl, apiKey: key }) });

  const stripeUser = await signUp();
  const remote = ctx.fakes.stripe.createSubscription({ price: STRIPE.pricePro, metadata: { user_id: stripeUser.id } });
  const event = ctx.fakes.stripe.event('customer.subscription.created', remote);
  await tenAtOnce(targets, stripeDelivery(event));
  await appliedOnce(sql, stripeUser.id, event.id);

  const lemonUser = await signUp();
  const body = ctx.fakes.lemon.webhook('subscription_created', ctx.fakes.lemon.createSubscription({ variantId: LEMON.variantPro, userId: lemonUser.id }));
  await tenAtOnce(targets, lemonDelivery(body));
  const [{ event_id }] = (await sql(`select event_id from webhook_events where user_id = $1`, [lemonUser.id])) as [{ event_id: string }];
  await appliedOnce(sql, lemonUser.id, event_id);

  // Toss: a refund's PAYMENT_STATUS_CHANGED, deduplicated by its transmission id (each delivery reads
  // the payment back from Toss; only one applies it).
  const tossUser = await signUp();
  const { checkout } = await tossUser.client.request(CheckoutDocument, { input: { tier: 'PRO', provider: 'TOSS' } });
  const customerKey = checkout.toss!.customerKey;
  const { confirmTossBilling } = await createClient({ url: targets.at(-1)!.graphqlUrl }).request(ConfirmTossBillingDocument, {
    input: { customerKey, authKey: ctx.fakes.toss.authorize(customerKey) },
  });
  const paymentKey = ctx.fakes.toss.charges.find((c) => c.orderId === tossOrderId(confirmTossBilling.id, 0))!.paymentKey;
  ctx.fakes.toss.setPaymentStatus(paymentKey, 'CANCELED');
  const refund = tossDelivery(ctx.fakes.toss.paymentStatusChangedEvent(paymentKey));
  await tenAtOnce(targets, refund);
  await appliedOnce(sql, tossUser.id, refund.headers['tosspayments-webhook-transmission-id']!, ['SUBSCRIPTION_CREATED', 'REFUNDED']);
}

describe.skipIf(!sharedDatabaseAvailable())(`exactly once across two server processes (${SHARED_DATABASE_SKIP_REASON})`, () => {
  it('10 concurrent deliveries of one event, split across two processes: applied once, one ledger row, one audit row', { timeout: 120_000 }, async () => {
    const instances = await Promise.all([ctx.spawn(), ctx.spawn()]);
    const url = await fileDatabase();
    await scenario(instances, (text, params) => query(url, text, params));
  });
});

describe('exactly once on one server', () => {
  const single = useTestServer(() => ({ env: billingEnv(ctx.fakes) }));

  it('10 concurrent deliveries of one event: applied once, one ledger row, one audit row', async () => {
    // The support SQL helper takes `?` placeholders; the multi-process one takes `$n`.
    await scenario([single.server], (text, params) => single.server.sql(text.replace(/\$\d+/g, '?'), params));
  });

  it('the ledger claim alone (no early duplicate check): 10 concurrent applications of one event apply it once', async () => {
    const user = await registerUser(single.server);
    const remote = ctx.fakes.stripe.createSubscription({ price: STRIPE.pricePro, metadata: { user_id: user.id } });
    const event = ctx.fakes.stripe.event('customer.subscription.created', remote);
    const stripe = await single.server.rt.providers.stripe();
    const verified = stripe.verifyWebhook({ rawBody: Buffer.from(stripeDelivery(event).body), headers: stripeDelivery(event).headers });
    const normalized = await stripe.normalizeWebhook(verified);
    const results = await Promise.all(Array.from({ length: 10 }, () => applyWebhookEvent(single.server.rt, single.server.rt.forkEm(), Provider.STRIPE, verified, normalized)));
    expect(results.map((r) => r.outcome).sort()).toEqual(['APPLIED', ...Array(9).fill('DUPLICATE')]);
    expect(await single.server.sql(`select count(*)::int as n from subscription_events where user_id = ?`, [user.id])).toEqual([{ n: 1 }]);
  });
});
