import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { lemonDate, signLemon, startFakeLemon, type FakeLemon } from './lemonsqueezy.js';

const API_KEY = 'lemon_test_api_key';
const STORE_ID = '4242';
const VARIANT_PRO = '777';

let fake: FakeLemon;

beforeAll(async () => {
  fake = await startFakeLemon({ apiKey: API_KEY, storeId: STORE_ID, variants: { [VARIANT_PRO]: { name: 'Pro', price: 2900 } } });
});

afterAll(() => fake.close());

beforeEach(() => fake.reset());

const jsonApiHeaders = {
  Accept: 'application/vnd.api+json',
  'Content-Type': 'application/vnd.api+json',
  Authorization: `Bearer ${API_KEY}`,
};

function lemon(path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  return fetch(`${fake.url}${path}`, {
    method: init.method ?? 'GET',
    headers: init.headers ?? jsonApiHeaders,
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
}

function checkoutBody(userId: string) {
  return {
    data: {
      type: 'checkouts',
      attributes: {
        checkout_data: { email: 'ada@example.com', custom: { user_id: userId } },
        product_options: { redirect_url: 'https://app.example.com/billing/success' },
      },
      relationships: {
        store: { data: { type: 'stores', id: STORE_ID } },
        variant: { data: { type: 'variants', id: VARIANT_PRO } },
      },
    },
  };
}

describe('fake Lemon Squeezy API', () => {
  it('creates a checkout and records the JSON:API request', async () => {
    const response = await lemon('/v1/checkouts', { method: 'POST', body: checkoutBody('user_42') });
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toBe('application/vnd.api+json');
    const document = (await response.json()) as { data: { type: string; id: string; attributes: Record<string, unknown> } };
    expect(document.data.type).toBe('checkouts');
    expect(document.data.attributes.url).toBe(fake.checkouts.get(document.data.id)?.url);
    expect(document.data.attributes.url).toMatch(
      new RegExp(`^https://stellar-test\\.lemonsqueezy\\.com/checkout/custom/${document.data.id}\\?signature=`),
    );
    expect(document.data.attributes).toMatchObject({
      store_id: 4242,
      variant_id: 777,
      checkout_data: { email: 'ada@example.com', custom: { user_id: 'user_42' } },
      product_options: { redirect_url: 'https://app.example.com/billing/success' },
    });

    const recorded = fake.lastRequest('POST', '/v1/checkouts');
    expect(recorded?.headers).toMatchObject({
      accept: 'application/vnd.api+json',
      'content-type': 'application/vnd.api+json',
      authorization: `Bearer ${API_KEY}`,
    });
    expect(recorded?.body).toEqual(checkoutBody('user_42'));
  });

  it('refuses a wrong key, a missing JSON:API header, an unknown variant or store', async () => {
    const unauthorized = await lemon('/v1/subscriptions/1', { headers: { ...jsonApiHeaders, Authorization: 'Bearer nope' } });
    expect(unauthorized.status).toBe(401);
    expect(await unauthorized.json()).toMatchObject({ errors: [{ status: '401', title: 'Unauthorized' }] });

    const plainJson = await lemon('/v1/checkouts', {
      method: 'POST',
      body: checkoutBody('u'),
      headers: { ...jsonApiHeaders, 'Content-Type': 'application/json' },
    });
    expect(plainJson.status).toBe(415);

    const wrongVariant = checkoutBody('u');
    wrongVariant.data.relationships.variant.data.id = '1';
    expect((await lemon('/v1/checkouts', { method: 'POST', body: wrongVariant })).status).toBe(422);

    const wrongStore = checkoutBody('u');
    wrongStore.data.relationships.store.data.id = '1';
    expect((await lemon('/v1/checkouts', { method: 'POST', body: wrongStore })).status).toBe(404);
  });

  it('serves a subscription with fresh signed portal URLs, and 404 for unknown ids', async () => {
    const renewsAt = new Date(Date.now() + 10 * 86_400_000);
    const created = fake.createSubscription({ variantId: VARIANT_PRO, renewsAt, userId: 'user_1' });

    const response = await lemon(`/v1/subscriptions/${created.id}`);
    expect(response.status).toBe(200);
    const { data } = (await response.json()) as { data: { id: string; type: string; attributes: Record<string, unknown> } };
    expect(data).toMatchObject({ type: 'subscriptions', id: created.id });
    expect(data.attributes).toMatchObject({
      store_id: 4242,
      variant_id: 777,
      status: 'active',
      cancelled: false,
      pause: null,
      ends_at: null,
      renews_at: lemonDate(renewsAt),
    });
    const urls = data.attributes.urls as { customer_portal: string; update_payment_method: string };
    expect(urls.customer_portal).toMatch(/^https:\/\/stellar-test\.lemonsqueezy\.com\/billing\?expires=/);
    expect(urls.customer_portal).not.toBe(created.attributes.urls.customer_portal);

    const missing = await lemon('/v1/subscriptions/999');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ errors: [{ status: '404', title: 'Not Found' }] });
  });

  it('DELETE cancels at period end: cancelled, ends_at = renews_at', async () => {
    const created = fake.createSubscription({ variantId: VARIANT_PRO });
    const response = await lemon(`/v1/subscriptions/${created.id}`, { method: 'DELETE' });
    expect(response.status).toBe(200);
    const { data } = (await response.json()) as { data: { attributes: Record<string, unknown> } };
    expect(data.attributes).toMatchObject({
      status: 'cancelled',
      status_formatted: 'Cancelled',
      cancelled: true,
      ends_at: created.attributes.renews_at,
    });
  });

  it('PATCH resumes a cancelled subscription and pauses one', async () => {
    const created = fake.createSubscription({ variantId: VARIANT_PRO, status: 'cancelled' });
    const resumed = await lemon(`/v1/subscriptions/${created.id}`, {
      method: 'PATCH',
      body: { data: { type: 'subscriptions', id: created.id, attributes: { cancelled: false } } },
    });
    expect(((await resumed.json()) as { data: { attributes: unknown } }).data.attributes).toMatchObject({ status: 'active', cancelled: false, ends_at: null });

    const paused = await lemon(`/v1/subscriptions/${created.id}`, {
      method: 'PATCH',
      body: { data: { type: 'subscriptions', id: created.id, attributes: { pause: { mode: 'void' } } } },
    });
    expect(((await paused.json()) as { data: { attributes: unknown } }).data.attributes).toMatchObject({ status: 'paused', pause: { mode: 'void', resumes_at: null } });
  });

  it('setSubscription changes what the API answers', async () => {
    const created = fake.createSubscription({ variantId: VARIANT_PRO, updatedAt: '2026-01-01T00:00:00Z' });
    expect(created.attributes.updated_at).toBe('2026-01-01T00:00:00.000000Z');
    fake.setSubscription(created.id, { status: 'expired', ends_at: lemonDate('2026-02-01T00:00:00Z') });
    const { data } = (await (await lemon(`/v1/subscriptions/${created.id}`)).json()) as { data: { attributes: Record<string, unknown> } };
    expect(data.attributes).toMatchObject({ status: 'expired', status_formatted: 'Expired', ends_at: '2026-02-01T00:00:00.000000Z' });
  });

  it('completes an API checkout into a subscription whose webhooks carry the checkout custom data', async () => {
    const response = await lemon('/v1/checkouts', { method: 'POST', body: checkoutBody('user_99') });
    const { data } = (await response.json()) as { data: { id: string } };
    const subscription = fake.completeCheckout(data.id);
    expect(subscription.attributes).toMatchObject({ variant_id: 777, user_email: 'ada@example.com', status: 'active' });
    const body = JSON.parse(fake.webhook('subscription_created', subscription)) as { meta: Record<string, unknown> };
    expect(body.meta).toMatchObject({ event_name: 'subscription_created', custom_data: { user_id: 'user_99' }, test_mode: true });
  });
});

describe('Lemon Squeezy webhook builders', () => {
  it('builds subscription webhooks in the documented shape', () => {
    const subscription = fake.createSubscription({ variantId: VARIANT_PRO, userId: 'user_5' });
    const raw = fake.webhook('subscription_updated', subscription, { webhookId: 'wh-1' });
    const body = JSON.parse(raw) as { meta: unknown; data: { type: string; id: string; attributes: unknown; links: unknown } };
    expect(body.meta).toEqual({ test_mode: true, event_name: 'subscription_updated', webhook_id: 'wh-1', custom_data: { user_id: 'user_5' } });
    expect(body.data).toMatchObject({ type: 'subscriptions', id: subscription.id, attributes: { status: 'active', variant_id: 777 } });
    expect(body.data.links).toEqual({ self: `${fake.url}/v1/subscriptions/${subscription.id}` });
  });

  it('builds subscription-invoice webhooks for payment events', () => {
    const subscription = fake.createSubscription({ variantId: VARIANT_PRO, userId: 'user_6' });
    const invoice = fake.subscriptionInvoice({ subscriptionId: subscription.id, total: 2900, status: 'refunded' });
    const body = JSON.parse(fake.webhook('subscription_payment_refunded', invoice)) as {
      meta: { custom_data: unknown };
      data: { type: string; attributes: Record<string, unknown> };
    };
    expect(body.data.type).toBe('subscription-invoices');
    expect(body.data.attributes).toMatchObject({
      subscription_id: Number(subscription.id),
      status: 'refunded',
      total: 2900,
      currency: 'USD',
      refunded: true,
      refunded_amount: 2900,
      total_formatted: '$29.00',
    });
    expect(body.meta.custom_data).toEqual({ user_id: 'user_6' });
  });

  it('builds order_refunded webhooks and wraps bare attributes', () => {
    const order = fake.order({ variantId: VARIANT_PRO, status: 'refunded' });
    const body = JSON.parse(fake.webhook('order_refunded', order, { customData: { user_id: 'user_8' } })) as {
      meta: unknown;
      data: { type: string; attributes: Record<string, unknown> };
    };
    expect(body.data.type).toBe('orders');
    expect(body.data.attributes).toMatchObject({ status: 'refunded', refunded: true, first_order_item: { variant_id: 777 } });
    expect(body.meta).toMatchObject({ event_name: 'order_refunded', custom_data: { user_id: 'user_8' } });

    const bare = JSON.parse(fake.webhook('subscription_expired', { status: 'expired' })) as { meta: object; data: { type: string } };
    expect(bare.data.type).toBe('subscriptions');
    expect(bare.meta).not.toHaveProperty('custom_data');
  });

  it('signs exactly like HMAC-SHA256 hex over the raw body', () => {
    const raw = fake.webhook('subscription_created', fake.createSubscription({ variantId: VARIANT_PRO }));
    expect(signLemon(raw, 'lemon-secret')).toBe(createHmac('sha256', 'lemon-secret').update(raw).digest('hex'));
    expect(signLemon(raw, 'lemon-secret')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('fails with a JSON:API 500 on demand', async () => {
    fake.fail('error500', { times: 1, paths: ['/v1/subscriptions'] });
    const failed = await lemon('/v1/subscriptions/1');
    expect(failed.status).toBe(500);
    expect(await failed.json()).toMatchObject({ errors: [{ status: '500' }] });
    expect((await lemon('/v1/subscriptions/1')).status).toBe(404);
  });
});
