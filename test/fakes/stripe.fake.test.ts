import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeStripe, type FakeStripe } from './stripe.js';

const SECRET_KEY = 'sk_test_fake_0123456789';
const WEBHOOK_SECRET = 'whsec_test_fake_secret';
const PRICE_PRO = 'price_pro_monthly';

let fake: FakeStripe;
let stripe: Stripe;

beforeAll(async () => {
  fake = await startFakeStripe({
    secretKey: SECRET_KEY,
    prices: { [PRICE_PRO]: { unitAmount: 2900, currency: 'usd', interval: 'month' } },
  });
  stripe = new Stripe(SECRET_KEY, { host: '127.0.0.1', port: fake.port, protocol: 'http', maxNetworkRetries: 0 });
});

afterAll(() => fake.close());

beforeEach(() => fake.reset());

describe('fake Stripe driven by the real SDK', () => {
  it('uses the API version the SDK pins', () => {
    expect(Stripe.API_VERSION).toBe('2026-10-28.endive');
  });

  it('creates a subscription Checkout Session and records the nested form body', async () => {
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: PRICE_PRO, quantity: 1 }],
      client_reference_id: 'user_42',
      customer_email: 'ada@example.com',
      metadata: { user_id: 'user_42' },
      subscription_data: { metadata: { user_id: 'user_42' } },
      success_url: 'https://app.example.com/billing/success',
      cancel_url: 'https://app.example.com/billing/cancel',
    });

    expect(session.id).toMatch(/^cs_test_/);
    expect(session.object).toBe('checkout.session');
    expect(session.url).toMatch(/^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_/);
    expect(session).toMatchObject({
      mode: 'subscription',
      status: 'open',
      client_reference_id: 'user_42',
      customer_email: 'ada@example.com',
      metadata: { user_id: 'user_42' },
      success_url: 'https://app.example.com/billing/success',
      cancel_url: 'https://app.example.com/billing/cancel',
      amount_total: 2900,
    });

    const recorded = fake.lastRequest('POST', '/v1/checkout/sessions');
    expect(recorded?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(recorded?.headers.authorization).toBe(`Bearer ${SECRET_KEY}`);
    expect(recorded?.headers['stripe-version']).toBe(Stripe.API_VERSION);
    expect(recorded?.rawBody).toContain('line_items[0][price]=price_pro_monthly');
    expect(recorded?.body).toEqual({
      mode: 'subscription',
      line_items: [{ price: PRICE_PRO, quantity: '1' }],
      client_reference_id: 'user_42',
      customer_email: 'ada@example.com',
      metadata: { user_id: 'user_42' },
      subscription_data: { metadata: { user_id: 'user_42' } },
      success_url: 'https://app.example.com/billing/success',
      cancel_url: 'https://app.example.com/billing/cancel',
    });

    const again = await stripe.checkout.sessions.retrieve(session.id);
    expect(again.id).toBe(session.id);
  });

  it('completes a session into a subscription carrying subscription_data.metadata', async () => {
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: PRICE_PRO, quantity: 1 }],
      customer_email: 'grace@example.com',
      subscription_data: { metadata: { user_id: 'user_7' } },
    });
    const { session: completed, subscription } = fake.completeCheckoutSession(session.id);
    expect(completed).toMatchObject({ status: 'complete', payment_status: 'paid', subscription: subscription.id });
    expect(subscription.metadata).toEqual({ user_id: 'user_7' });
    const customer = await stripe.customers.retrieve(subscription.customer as string);
    expect(customer).toMatchObject({ object: 'customer', email: 'grace@example.com' });
  });

  it('rejects Stripe-invalid checkout parameters the way Stripe does', async () => {
    const customer = await stripe.customers.create({ email: 'x@example.com' });
    await expect(
      stripe.checkout.sessions.create({
        mode: 'subscription',
        line_items: [{ price: PRICE_PRO, quantity: 1 }],
        customer: customer.id,
        customer_email: 'x@example.com',
      }),
    ).rejects.toMatchObject({ type: 'StripeInvalidRequestError', statusCode: 400 });
    await expect(
      stripe.checkout.sessions.create({ mode: 'subscription', line_items: [{ price: 'price_unknown', quantity: 1 }] }),
    ).rejects.toMatchObject({ code: 'resource_missing', param: 'line_items[0][price]' });
  });

  it('answers 401 with Stripe error JSON for a wrong key', async () => {
    const wrong = new Stripe('sk_test_wrong_key_9999', { host: '127.0.0.1', port: fake.port, protocol: 'http', maxNetworkRetries: 0 });
    const error = await wrong.customers.create({}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect(error).toMatchObject({ statusCode: 401, message: expect.stringContaining('Invalid API Key provided') });
  });

  it('serves subscriptions in current shapes: the period is on the item', async () => {
    const periodEnd = Math.floor(Date.now() / 1000) + 20 * 86_400;
    const created = fake.createSubscription({ price: PRICE_PRO, currentPeriodEnd: periodEnd, metadata: { user_id: 'u1' } });

    const subscription = await stripe.subscriptions.retrieve(created.id);
    expect(subscription.items.data[0]?.current_period_end).toBe(periodEnd);
    expect(subscription.items.data[0]?.price.id).toBe(PRICE_PRO);
    expect(subscription).not.toHaveProperty('current_period_end');
    expect(subscription.status).toBe('active');

    fake.setSubscription(created.id, { status: 'past_due' });
    expect((await stripe.subscriptions.retrieve(created.id)).status).toBe('past_due');
  });

  it('updates cancel_at_period_end and merges metadata, then cancels with DELETE', async () => {
    const created = fake.createSubscription({ price: PRICE_PRO, metadata: { user_id: 'u2', keep: 'yes' } });
    const updated = await stripe.subscriptions.update(created.id, {
      cancel_at_period_end: true,
      metadata: { keep: '', plan: 'pro' },
    });
    expect(updated.cancel_at_period_end).toBe(true);
    expect(updated.cancel_at).toBe(updated.items.data[0]?.current_period_end);
    expect(updated.metadata).toEqual({ user_id: 'u2', plan: 'pro' });
    expect(fake.lastRequest('POST', `/v1/subscriptions/${created.id}`)?.body).toEqual({
      cancel_at_period_end: 'true',
      metadata: { keep: '', plan: 'pro' },
    });

    const canceled = await stripe.subscriptions.cancel(created.id);
    expect(canceled.status).toBe('canceled');
    expect(canceled.ended_at).not.toBeNull();
    expect(fake.lastRequest('DELETE', '/v1/subscriptions/')?.path).toBe(`/v1/subscriptions/${created.id}`);
  });

  it('answers resource_missing for unknown ids', async () => {
    await expect(stripe.subscriptions.retrieve('sub_missing')).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      statusCode: 404,
      code: 'resource_missing',
    });
  });

  it('creates a customer and a billing portal session', async () => {
    const customer = await stripe.customers.create({ email: 'lin@example.com', metadata: { user_id: 'u3' } });
    expect(customer.id).toMatch(/^cus_/);
    const portal = await stripe.billingPortal.sessions.create({ customer: customer.id, return_url: 'https://app.example.com/account' });
    expect(portal).toMatchObject({ object: 'billing_portal.session', customer: customer.id, return_url: 'https://app.example.com/account' });
    expect(portal.id).toMatch(/^bps_/);
    expect(portal.url).toMatch(/^https:\/\/billing\.stripe\.com\/p\/session\//);
  });

  it('replays a reused Idempotency-Key instead of creating twice', async () => {
    const first = await stripe.customers.create({ email: 'same@example.com' }, { idempotencyKey: 'idem-1' });
    const second = await stripe.customers.create({ email: 'same@example.com' }, { idempotencyKey: 'idem-1' });
    expect(second.id).toBe(first.id);
    await expect(stripe.customers.create({ email: 'other@example.com' }, { idempotencyKey: 'idem-1' })).rejects.toMatchObject({
      type: 'StripeIdempotencyError',
    });
  });

  it('builds invoices that point at their subscription under parent.subscription_details', async () => {
    const sub = fake.createSubscription({ price: PRICE_PRO, metadata: { user_id: 'u4' } });
    const periodEnd = Math.floor(Date.now() / 1000) + 30 * 86_400;
    const invoice = fake.invoice({ subscription: sub.id, amountPaid: 2900, periodEnd, billingReason: 'subscription_cycle' });
    expect(invoice.parent?.subscription_details).toEqual({ subscription: sub.id, metadata: { user_id: 'u4' } });
    expect(invoice).not.toHaveProperty('subscription');
    expect(invoice.lines.data[0]?.period.end).toBe(periodEnd);
    expect(invoice.period_end).toBeLessThan(periodEnd);

    const fetched = await stripe.invoices.retrieve(invoice.id);
    expect(fetched.amount_paid).toBe(2900);

    const charge = fake.charge({ amount: 2900, amountRefunded: 2900, invoice: invoice.id });
    expect(charge).toMatchObject({ refunded: true, amount_refunded: 2900 });
    expect(charge).not.toHaveProperty('invoice');
    const payments = await stripe.invoicePayments.list({
      payment: { type: 'payment_intent', payment_intent: charge.payment_intent as string },
    });
    expect(payments.data.map((p) => p.invoice)).toEqual([invoice.id]);
  });

  it('signs events that the SDK verifies, and the SDK rejects a stale signature', () => {
    const sub = fake.createSubscription({ price: PRICE_PRO });
    const event = fake.event('customer.subscription.updated', sub, { previousAttributes: { status: 'past_due' } });
    expect(event).toMatchObject({ object: 'event', api_version: Stripe.API_VERSION, livemode: false, type: 'customer.subscription.updated' });
    expect(event.id).toMatch(/^evt_/);
    const payload = JSON.stringify(event);

    const verified = stripe.webhooks.constructEvent(payload, fake.sign(payload, WEBHOOK_SECRET), WEBHOOK_SECRET);
    expect(verified.id).toBe(event.id);
    expect((verified.data.object as Stripe.Subscription).items.data[0]?.current_period_end).toBe(
      sub.items.data[0]?.current_period_end,
    );

    const stale = fake.sign(payload, WEBHOOK_SECRET, Math.floor(Date.now() / 1000) - 301);
    expect(() => stripe.webhooks.constructEvent(payload, stale, WEBHOOK_SECRET, 300)).toThrow(
      Stripe.errors.StripeSignatureVerificationError,
    );
    expect(() => stripe.webhooks.constructEvent(payload, fake.sign(payload, 'whsec_other'), WEBHOOK_SECRET)).toThrow(
      Stripe.errors.StripeSignatureVerificationError,
    );
  });

  it('fails with a Stripe 500 on demand, and can stall a path', async () => {
    fake.fail('error500', { times: 1 });
    await expect(stripe.customers.create({})).rejects.toMatchObject({ type: 'StripeAPIError', statusCode: 500 });
    await expect(stripe.customers.create({})).resolves.toMatchObject({ object: 'customer' });

    fake.fail('stall', { paths: ['/v1/billing_portal'] });
    const impatient = new Stripe(SECRET_KEY, { host: '127.0.0.1', port: fake.port, protocol: 'http', maxNetworkRetries: 0, timeout: 300 });
    await expect(impatient.billingPortal.sessions.create({ customer: 'cus_x' })).rejects.toMatchObject({
      type: 'StripeConnectionError',
    });
    await expect(stripe.customers.create({})).resolves.toMatchObject({ object: 'customer' });
  });
});
