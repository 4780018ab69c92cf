import { describe, expect, it } from 'vitest';
import { signToss } from '../fakes/index.js';
import { registerUser } from '../support/accounts.js';
import { LEMON, STRIPE, TOSS, billingEnv, subscribeWithToss, useBillingServer } from '../support/billing.js';
import { startTestServer, useTestServer } from '../support/server.js';
import { tossOrderId } from '../../src/services/billing/toss-billing.js';
import { deliver, lemonDelivery, stripeDelivery, tossDelivery, type Delivery } from '../support/webhooks.js';

/**
 * Issue 6 point 2: a tampered body, a wrong secret, a missing signature header or a Stripe
 * timestamp older than 300 s is refused (400, or 401 for a missing header) and nothing is stored
 * beyond a counter; a provider whose secret is unset answers 503.
 */

const ctx = useBillingServer({});

async function nothingStored(userId: string) {
  expect(await ctx.server.sql(`select count(*)::int as n from subscriptions where user_id = ?`, [userId])).toEqual([{ n: 0 }]);
}

async function ledgerSize(): Promise<number> {
  return ((await ctx.server.sql<{ n: number }>(`select count(*)::int as n from webhook_events`))[0]!).n;
}

async function rejectedCount(provider: string): Promise<number> {
  const text = await ctx.server.rt.metrics.registry.getSingleMetricAsString('stellar_webhook_events_total');
  const line = text.split('\n').find((l) => l.includes(`provider="${provider}"`) && l.includes('outcome="REJECTED"'));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

const tamper = (d: Delivery): Delivery => ({ ...d, body: d.body.replace('"PRO"', '"TEAM"').replace(/"active"/, '"trialing"') + ' ' });

async function stripeCreated() {
  const user = await registerUser(ctx.server);
  const remote = ctx.fakes.stripe.createSubscription({ price: STRIPE.pricePro, metadata: { user_id: user.id } });
  return { user, event: ctx.fakes.stripe.event('customer.subscription.created', remote) };
}

describe('Stripe signatures', () => {
  it('tampered body, wrong secret, missing header, a timestamp older than 300 s: refused, nothing stored', async () => {
    const { user, event } = await stripeCreated();
    const ledgerBefore = await ledgerSize();
    const rejectedBefore = await rejectedCount('STRIPE');
    const good = stripeDelivery(event);
    const old = Math.floor(Date.now() / 1000) - 301;
    const cases: [string, Delivery, number][] = [
      ['tampered body', tamper(good), 400],
      ['wrong secret', stripeDelivery(event, { secret: 'whsec_not_the_secret' }), 400],
      ['missing Stripe-Signature', { ...good, headers: { 'content-type': 'application/json' } }, 401],
      ['timestamp older than 300 s', stripeDelivery(event, { timestamp: old }), 400],
      ['garbage signature', { ...good, headers: { ...good.headers, 'stripe-signature': 't=1,v1=00' } }, 400],
    ];
    for (const [name, delivery, status] of cases) {
      const result = await deliver(ctx.server, delivery);
      expect(result.status, name).toBe(status);
      expect(result.body.received, name).toBe(false);
    }
    await nothingStored(user.id);
    expect(await ledgerSize()).toBe(ledgerBefore);
    expect(await rejectedCount('STRIPE')).toBe(rejectedBefore + cases.length);

    // The genuine delivery still works afterwards (nothing was consumed by the forgeries).
    expect((await deliver(ctx.server, good)).body.outcome).toBe('APPLIED');
  });

  it('a signature 299 s old is still accepted', async () => {
    const { event } = await stripeCreated();
    const result = await deliver(ctx.server, stripeDelivery(event, { timestamp: Math.floor(Date.now() / 1000) - 290 }));
    expect(result.status).toBe(200);
  });
});

describe('Lemon Squeezy signatures', () => {
  it('tampered body, wrong secret, missing header, a signature of another length: refused, nothing stored', async () => {
    const user = await registerUser(ctx.server);
    const remote = ctx.fakes.lemon.createSubscription({ variantId: LEMON.variantPro, userId: user.id });
    const body = ctx.fakes.lemon.webhook('subscription_created', remote);
    const good = lemonDelivery(body);
    const ledgerBefore = await ledgerSize();
    const cases: [string, Delivery, number][] = [
      ['tampered body', { ...good, body: body.replace(`"variant_id":${LEMON.variantPro}`, `"variant_id":${LEMON.variantTeam}`) }, 400],
      ['wrong secret', lemonDelivery(body, { secret: 'not-the-signing-secret' }), 400],
      ['missing X-Signature', { ...good, headers: { 'content-type': 'application/json' } }, 401],
      ['shorter signature', { ...good, headers: { ...good.headers, 'x-signature': good.headers['x-signature']!.slice(0, 32) } }, 400],
      ['not hex', { ...good, headers: { ...good.headers, 'x-signature': 'z'.repeat(64) } }, 400],
    ];
    expect(cases[0]![1].body).not.toBe(body);
    for (const [name, delivery, status] of cases) expect((await deliver(ctx.server, delivery)).status, name).toBe(status);
    await nothingStored(user.id);
    expect(await ledgerSize()).toBe(ledgerBefore);
    expect((await deliver(ctx.server, good)).body.outcome).toBe('APPLIED');
  });
});

describe('Toss: nothing in the body is believed', () => {
  it('a forged CANCELED body for a payment Toss says is DONE changes nothing', async () => {
    const user = await registerUser(ctx.server);
    const { subscriptionId } = await subscribeWithToss(ctx.server, ctx.fakes.toss, user);
    const paymentKey = ctx.fakes.toss.charges.find((c) => c.orderId === tossOrderId(subscriptionId, 0))!.paymentKey;
    const forged = ctx.fakes.toss.paymentStatusChangedEvent(paymentKey, { status: 'CANCELED', balanceAmount: 0 });
    const result = await deliver(ctx.server, tossDelivery(forged));
    expect(result).toMatchObject({ status: 200, body: { outcome: 'IGNORED' } });
    expect(await ctx.server.sql(`select status from subscriptions where id = ?`, [subscriptionId])).toEqual([{ status: 'ACTIVE' }]);
  });

  it('a payment Toss does not know: 400, nothing stored; a missing transmission id: 400', async () => {
    const ledgerBefore = await ledgerSize();
    const unknown = { eventType: 'PAYMENT_STATUS_CHANGED', createdAt: '2026-11-22T10:00:00.000000', data: { paymentKey: 'tviva_forged_0001', status: 'CANCELED' } };
    expect((await deliver(ctx.server, tossDelivery(unknown))).status).toBe(400);
    const noId = tossDelivery(unknown);
    delete noId.headers['tosspayments-webhook-transmission-id'];
    expect((await deliver(ctx.server, noId)).status).toBe(400);
    expect(await ledgerSize()).toBe(ledgerBefore);
  });

  it('signed events (payout.changed) are verified with TOSS_WEBHOOK_SECRET', async () => {
    const event = { eventType: 'payout.changed', createdAt: '2026-11-22T10:00:00.000000', data: { payoutId: 'FPA_1', status: 'COMPLETED' } };
    const good = tossDelivery(event, { secret: TOSS.webhookSecret });
    expect((await deliver(ctx.server, good))).toMatchObject({ status: 200, body: { outcome: 'IGNORED' } });
    const wrong = tossDelivery(event, { secret: 'another-security-key' });
    expect((await deliver(ctx.server, wrong)).status).toBe(400);
    const tampered = tossDelivery(event, { secret: TOSS.webhookSecret });
    expect((await deliver(ctx.server, { ...tampered, body: tampered.body.replace('COMPLETED', 'REQUESTED') })).status).toBe(400);
    const stale = tossDelivery(event, { secret: TOSS.webhookSecret });
    const { signature } = signToss(stale.body, TOSS.webhookSecret, '2020-01-01T00:00:00+09:00');
    expect((await deliver(ctx.server, { ...stale, headers: { ...stale.headers, 'tosspayments-webhook-signature': signature } })).status).toBe(400);
  });
});

describe('demo webhooks', () => {
  it('only this server can sign them: unsigned 401, wrongly signed 400', async () => {
    const user = await registerUser(ctx.server);
    const body = JSON.stringify({ id: 'demo_evt_forged', type: 'checkout.completed', created: new Date().toISOString(), data: { checkoutId: 'x', userId: user.id, tier: 'TEAM' } });
    expect((await deliver(ctx.server, { path: '/webhooks/demo', body, headers: { 'content-type': 'application/json' } })).status).toBe(401);
    expect((await deliver(ctx.server, { path: '/webhooks/demo', body, headers: { 'content-type': 'application/json', 'x-demo-signature': 'a'.repeat(64) } })).status).toBe(400);
    await nothingStored(user.id);
  });
});

describe('the webhook routes', () => {
  it('read at most 1 MB', async () => {
    const { event } = await stripeCreated();
    const big = { ...event, padding: 'x'.repeat(1024 * 1024) };
    expect((await deliver(ctx.server, stripeDelivery(big as typeof event))).status).toBe(413);
  });
});

describe('providers that are off', () => {
  // Only Toss is on, without TOSS_WEBHOOK_SECRET; the demo provider is off. A database of its own,
  // so its ledger holds only what reached this server.
  const off = useTestServer(() => ({ env: { ...billingEnv(ctx.fakes, ['toss']), TOSS_WEBHOOK_SECRET: undefined, BILLING_DEMO: '0' }, ownDatabase: true }));

  it('answer 503 and accept nothing; a signed Toss event without TOSS_WEBHOOK_SECRET too', async () => {
    const { event } = await stripeCreated();
    expect((await deliver(off.server, stripeDelivery(event))).status).toBe(503);
    const remote = ctx.fakes.lemon.createSubscription({ variantId: LEMON.variantPro });
    expect((await deliver(off.server, lemonDelivery(ctx.fakes.lemon.webhook('subscription_created', remote)))).status).toBe(503);
    expect((await deliver(off.server, { path: '/webhooks/demo', body: '{}', headers: { 'content-type': 'application/json', 'x-demo-signature': 'ab' } })).status).toBe(503);
    const signed = { eventType: 'seller.changed', createdAt: '2026-11-22T10:00:00.000000', data: {} };
    expect((await deliver(off.server, tossDelivery(signed, { secret: TOSS.webhookSecret }))).status).toBe(503);
    expect(await off.server.sql(`select count(*)::int as n from webhook_events`)).toEqual([{ n: 0 }]);
  });
});

describe('self-hosted mode', () => {
  it('has no webhook routes (404)', async () => {
    const selfHosted = await startTestServer({ env: { STELLAR_BILLING_ENABLED: 'false', STELLAR_API_KEY: 'sk-stellar-' + 'a'.repeat(32) } });
    try {
      for (const path of ['/webhooks/stripe', '/webhooks/lemonsqueezy', '/webhooks/toss', '/webhooks/demo']) {
        expect((await deliver(selfHosted, { path, body: '{}', headers: { 'content-type': 'application/json' } })).status, path).toBe(404);
      }
    } finally {
      await selfHosted.close();
    }
  });
});
