// Loopback fake of the Lemon Squeezy API (JSON:API, https://docs.lemonsqueezy.com/api) and
// builders for its webhook bodies.
//
// Requests follow the documented headers: `Accept: application/vnd.api+json`,
// `Content-Type: application/vnd.api+json`, `Authorization: Bearer <api key>`. The fake refuses a
// missing JSON:API Accept (406) or body Content-Type (415) like a strict JSON:API server would, so
// a client that forgets them fails here rather than in production. Errors are JSON:API error
// objects: { errors: [{ status, title, detail }] }.
//
// Webhooks (https://docs.lemonsqueezy.com/help/webhooks): the body is the JSON:API resource of the
// event with a `meta` object { test_mode, event_name, webhook_id, custom_data? } (custom_data only
// when the checkout carried custom data); headers X-Event-Name and X-Signature, the latter the hex
// HMAC-SHA256 of the raw body with the webhook's signing secret. Subscription events carry a
// `subscriptions` resource, subscription_payment_* events a `subscription-invoices` resource and
// order_* events an `orders` resource.
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { parseJsonBody, startFakeServer, type FakeReply, type FakeServer, type RecordedRequest, type Route } from './http.js';

const JSON_API = 'application/vnd.api+json';

export type LemonSubscriptionStatus = 'on_trial' | 'active' | 'paused' | 'past_due' | 'unpaid' | 'cancelled' | 'expired';

export interface LemonSubscriptionAttributes {
  store_id: number;
  customer_id: number;
  order_id: number;
  order_item_id: number;
  product_id: number;
  variant_id: number;
  product_name: string;
  variant_name: string;
  user_name: string;
  user_email: string;
  status: LemonSubscriptionStatus;
  status_formatted: string;
  card_brand: string | null;
  card_last_four: string | null;
  payment_processor: string;
  pause: { mode: 'void' | 'free'; resumes_at: string | null } | null;
  cancelled: boolean;
  trial_ends_at: string | null;
  billing_anchor: number;
  first_subscription_item: {
    id: number;
    subscription_id: number;
    price_id: number;
    quantity: number;
    is_usage_based: boolean;
    created_at: string;
    updated_at: string;
  } | null;
  urls: { update_payment_method: string; customer_portal: string; customer_portal_update_subscription: string };
  renews_at: string;
  ends_at: string | null;
  created_at: string;
  updated_at: string;
  test_mode: boolean;
}

export interface LemonSubscriptionInvoiceAttributes {
  store_id: number;
  subscription_id: number;
  customer_id: number;
  user_name: string;
  user_email: string;
  billing_reason: 'initial' | 'renewal' | 'updated';
  card_brand: string | null;
  card_last_four: string | null;
  currency: string;
  currency_rate: string;
  status: 'pending' | 'paid' | 'void' | 'refunded' | 'partial_refund';
  status_formatted: string;
  refunded: boolean;
  refunded_at: string | null;
  subtotal: number;
  discount_total: number;
  tax: number;
  tax_inclusive: boolean;
  total: number;
  refunded_amount: number;
  subtotal_usd: number;
  discount_total_usd: number;
  tax_usd: number;
  total_usd: number;
  refunded_amount_usd: number;
  subtotal_formatted: string;
  discount_total_formatted: string;
  tax_formatted: string;
  total_formatted: string;
  refunded_amount_formatted: string;
  urls: { invoice_url: string | null };
  created_at: string;
  updated_at: string;
  test_mode: boolean;
}

export interface LemonOrderAttributes {
  store_id: number;
  customer_id: number;
  identifier: string;
  order_number: number;
  user_name: string;
  user_email: string;
  currency: string;
  currency_rate: string;
  subtotal: number;
  setup_fee: number;
  discount_total: number;
  tax: number;
  total: number;
  refunded_amount: number;
  subtotal_usd: number;
  setup_fee_usd: number;
  discount_total_usd: number;
  tax_usd: number;
  total_usd: number;
  refunded_amount_usd: number;
  tax_name: string | null;
  tax_rate: string;
  tax_inclusive: boolean;
  status: 'pending' | 'failed' | 'paid' | 'refunded' | 'partial_refund';
  status_formatted: string;
  refunded: boolean;
  refunded_at: string | null;
  subtotal_formatted: string;
  setup_fee_formatted: string;
  discount_total_formatted: string;
  tax_formatted: string;
  total_formatted: string;
  refunded_amount_formatted: string;
  first_order_item: {
    id: number;
    order_id: number;
    product_id: number;
    variant_id: number;
    price_id: number;
    product_name: string;
    variant_name: string;
    price: number;
    quantity: number;
    created_at: string;
    updated_at: string;
    test_mode: boolean;
  };
  urls: { receipt: string };
  created_at: string;
  updated_at: string;
  test_mode: boolean;
}

export interface LemonResource<T> {
  type: string;
  id: string;
  attributes: T;
  relationships?: Record<string, { links: { related: string; self: string } }>;
  links?: { self: string };
}

export interface LemonCheckout {
  id: string;
  storeId: string;
  variantId: string;
  /** The request's data.attributes as sent. */
  attributes: Record<string, unknown>;
  url: string;
}

export type LemonEventName =
  | 'subscription_created'
  | 'subscription_updated'
  | 'subscription_cancelled'
  | 'subscription_resumed'
  | 'subscription_expired'
  | 'subscription_paused'
  | 'subscription_unpaused'
  | 'subscription_payment_success'
  | 'subscription_payment_failed'
  | 'subscription_payment_recovered'
  | 'subscription_payment_refunded'
  | 'order_created'
  | 'order_refunded';

export interface StartFakeLemonOptions {
  apiKey: string;
  storeId: string;
  /** Subdomain used in checkout and portal URLs. */
  storeSlug?: string;
  /** Known variants; when given, checkouts for other variants are refused with 422. */
  variants?: Record<string, { productId?: number; name?: string; price?: number }>;
}

export interface LemonSubscriptionInput {
  variantId: string | number;
  status?: LemonSubscriptionStatus;
  renewsAt?: Date | string;
  endsAt?: Date | string | null;
  customerId?: number;
  /** Becomes meta.custom_data.user_id of this subscription's webhooks. */
  userId?: string;
  userEmail?: string;
  updatedAt?: Date | string;
}

export interface LemonInvoiceInput {
  subscriptionId: string | number;
  status?: LemonSubscriptionInvoiceAttributes['status'];
  billingReason?: LemonSubscriptionInvoiceAttributes['billing_reason'];
  total?: number;
  currency?: string;
  refundedAmount?: number;
  createdAt?: Date | string;
}

export interface LemonOrderInput {
  variantId: string | number;
  /** The order's id, e.g. a subscription's `order_id` (its first payment); a new one by default. */
  id?: string | number;
  total?: number;
  currency?: string;
  status?: LemonOrderAttributes['status'];
  refundedAmount?: number;
  customerId?: number;
  userEmail?: string;
  createdAt?: Date | string;
}

export interface LemonWebhookOptions {
  /** Defaults to the custom data the subscription was created with. */
  customData?: Record<string, unknown>;
  webhookId?: string;
  testMode?: boolean;
}

export interface FakeLemon extends FakeServer {
  readonly checkouts: Map<string, LemonCheckout>;
  createSubscription(input: LemonSubscriptionInput): LemonResource<LemonSubscriptionAttributes>;
  setSubscription(id: string, patch: Partial<LemonSubscriptionAttributes>): LemonResource<LemonSubscriptionAttributes>;
  /** Completes a checkout created through the API: creates its subscription with the checkout's custom data. */
  completeCheckout(checkoutId: string, options?: { renewsAt?: Date | string }): LemonResource<LemonSubscriptionAttributes>;
  subscriptionInvoice(input: LemonInvoiceInput): LemonResource<LemonSubscriptionInvoiceAttributes>;
  order(input: LemonOrderInput): LemonResource<LemonOrderAttributes>;
  /** The raw JSON body Lemon Squeezy posts for `eventName`. */
  webhook(
    eventName: LemonEventName,
    resourceOrAttributes: LemonResource<object> | object,
    options?: LemonWebhookOptions,
  ): string;
}

const DAY_MS = 86_400_000;

/** Lemon Squeezy's timestamp format: ISO 8601 UTC with microseconds, e.g. 2024-10-14T12:36:27.000000Z */
export function lemonDate(value: Date | string): string {
  return new Date(value).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** The X-Signature header value: hex HMAC-SHA256 of the raw body. */
export function signLemon(rawBody: string, secret: string): string {
  return createHmac('sha256', secret).update(rawBody).digest('hex');
}

const signedAppUrl = (path: string): string =>
  `https://app.lemonsqueezy.com${path}?signature=${randomBytes(32).toString('hex')}`;

const titleCase = (status: string): string => {
  const words = status.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
};

const money = (cents: number, currency: string): string =>
  new Intl.NumberFormat('en-US', { style: 'currency', currency }).format(cents / 100);

function lemonError(status: number, title: string, detail: string, pointer?: string): FakeReply {
  const source = pointer ? { source: { pointer } } : {};
  return { status, body: { jsonapi: { version: '1.0' }, errors: [{ detail, status: String(status), title, ...source }] } };
}

const unprocessable = (detail: string, pointer: string): FakeReply => lemonError(422, 'Unprocessable Entity', detail, pointer);

function checkHeaders(apiKey: string, req: RecordedRequest): FakeReply | undefined {
  if (req.headers.authorization !== `Bearer ${apiKey}`) return lemonError(401, 'Unauthorized', 'Unauthenticated.');
  if (!(req.headers.accept ?? '').includes(JSON_API)) {
    return lemonError(406, 'Not Acceptable', `The Accept header must include ${JSON_API}.`);
  }
  if (req.rawBody !== '' && !(req.headers['content-type'] ?? '').startsWith(JSON_API)) {
    return lemonError(415, 'Unsupported Media Type', `The Content-Type of a request body must be ${JSON_API}.`);
  }
  return undefined;
}

type JsonObject = Record<string, unknown>;

const asObject = (value: unknown): JsonObject | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined;

function relationshipId(data: JsonObject, name: string, type: string): string | undefined {
  const related = asObject(asObject(asObject(data.relationships)?.[name])?.data);
  return related?.type === type && related.id !== undefined ? String(related.id) : undefined;
}

export async function startFakeLemon(options: StartFakeLemonOptions): Promise<FakeLemon> {
  const storeSlug = options.storeSlug ?? 'stellar-test';
  const storeUrl = `https://${storeSlug}.lemonsqueezy.com`;
  const checkouts = new Map<string, LemonCheckout>();
  const subscriptions = new Map<string, LemonSubscriptionAttributes>();
  const customData = new Map<string, Record<string, unknown>>();
  let nextId = 100_001;
  let baseUrl = '';

  const newId = (): number => nextId++;

  // The API returns pre-signed portal URLs valid for 24 hours, so each read gets fresh ones.
  function signedUrls(id: string, customerId: number): LemonSubscriptionAttributes['urls'] {
    const expires = Math.floor((Date.now() + DAY_MS) / 1000);
    const signature = () => randomBytes(32).toString('hex');
    return {
      update_payment_method: `${storeUrl}/subscription/${id}/payment-details?expires=${expires}&signature=${signature()}`,
      customer_portal: `${storeUrl}/billing?expires=${expires}&user=${customerId}&signature=${signature()}`,
      customer_portal_update_subscription: `${storeUrl}/billing/${id}/update?expires=${expires}&user=${customerId}&signature=${signature()}`,
    };
  }

  function relationships(type: string, id: string, names: string[]): LemonResource<object>['relationships'] {
    return Object.fromEntries(
      names.map((name) => [
        name,
        { links: { related: `${baseUrl}/v1/${type}/${id}/${name}`, self: `${baseUrl}/v1/${type}/${id}/relationships/${name}` } },
      ]),
    );
  }

  function subscriptionResource(id: string): LemonResource<LemonSubscriptionAttributes> {
    const attributes = subscriptions.get(id) as LemonSubscriptionAttributes;
    return {
      type: 'subscriptions',
      id,
      attributes: { ...attributes, urls: signedUrls(id, attributes.customer_id) },
      relationships: relationships('subscriptions', id, [
        'store', 'customer', 'order', 'order-item', 'product', 'variant', 'subscription-items', 'subscription-invoices',
      ]),
      links: { self: `${baseUrl}/v1/subscriptions/${id}` },
    };
  }

  const document = (resource: LemonResource<object>): JsonObject => ({
    jsonapi: { version: '1.0' },
    links: { self: resource.links?.self },
    data: resource,
  });

  function variantInfo(variantId: string | number): { productId: number; name: string; price: number } {
    const known = options.variants?.[String(variantId)];
    return { productId: known?.productId ?? 50_000 + Number(variantId), name: known?.name ?? 'Default', price: known?.price ?? 999 };
  }

  function createSubscription(input: LemonSubscriptionInput): LemonResource<LemonSubscriptionAttributes> {
    const id = String(newId());
    const now = new Date();
    const customerId = input.customerId ?? newId();
    const status = input.status ?? 'active';
    const variant = variantInfo(input.variantId);
    const renewsAt = input.renewsAt ?? new Date(now.getTime() + 30 * DAY_MS);
    const endsAt = input.endsAt === undefined ? (status === 'cancelled' || status === 'expired' ? renewsAt : null) : input.endsAt;
    const created = lemonDate(now);
    subscriptions.set(id, {
      store_id: Number(options.storeId),
      customer_id: customerId,
      order_id: newId(),
      order_item_id: newId(),
      product_id: variant.productId,
      variant_id: Number(input.variantId),
      product_name: 'Stellar Memory',
      variant_name: variant.name,
      user_name: 'Test Customer',
      user_email: input.userEmail ?? `customer${customerId}@example.com`,
      status,
      status_formatted: titleCase(status),
      card_brand: 'visa',
      card_last_four: '4242',
      payment_processor: 'stripe',
      pause: null,
      cancelled: status === 'cancelled',
      trial_ends_at: null,
      billing_anchor: new Date(renewsAt).getUTCDate(),
      first_subscription_item: {
        id: newId(),
        subscription_id: Number(id),
        price_id: newId(),
        quantity: 1,
        is_usage_based: false,
        created_at: created,
        updated_at: created,
      },
      urls: signedUrls(id, customerId),
      renews_at: lemonDate(renewsAt),
      ends_at: endsAt === null ? null : lemonDate(endsAt),
      created_at: created,
      updated_at: lemonDate(input.updatedAt ?? now),
      test_mode: true,
    });
    if (input.userId !== undefined) customData.set(id, { user_id: input.userId });
    return subscriptionResource(id);
  }

  function setSubscription(id: string, patch: Partial<LemonSubscriptionAttributes>) {
    const current = subscriptions.get(id);
    if (!current) throw new Error(`fake lemonsqueezy: unknown subscription ${id}`);
    const status = patch.status ?? current.status;
    subscriptions.set(id, {
      ...current,
      status_formatted: titleCase(status),
      updated_at: lemonDate(new Date()),
      ...patch,
    });
    return subscriptionResource(id);
  }

  function completeCheckout(checkoutId: string, completeOptions: { renewsAt?: Date | string } = {}) {
    const checkout = checkouts.get(checkoutId);
    if (!checkout) throw new Error(`fake lemonsqueezy: unknown checkout ${checkoutId}`);
    const checkoutData = asObject(checkout.attributes.checkout_data) ?? {};
    const custom = asObject(checkoutData.custom);
    const email = typeof checkoutData.email === 'string' ? checkoutData.email : undefined;
    const subscription = createSubscription({
      variantId: checkout.variantId,
      ...(email ? { userEmail: email } : {}),
      ...(completeOptions.renewsAt ? { renewsAt: completeOptions.renewsAt } : {}),
    });
    if (custom) customData.set(subscription.id, custom);
    return subscription;
  }

  function subscriptionInvoice(input: LemonInvoiceInput): LemonResource<LemonSubscriptionInvoiceAttributes> {
    const id = String(newId());
    const subscription = subscriptions.get(String(input.subscriptionId));
    const currency = input.currency ?? 'USD';
    const total = input.total ?? 999;
    const refundedAmount = input.refundedAmount ?? (input.status === 'refunded' ? total : 0);
    const status = input.status ?? 'paid';
    const created = lemonDate(input.createdAt ?? new Date());
    return {
      type: 'subscription-invoices',
      id,
      attributes: {
        store_id: Number(options.storeId),
        subscription_id: Number(input.subscriptionId),
        customer_id: subscription?.customer_id ?? newId(),
        user_name: subscription?.user_name ?? 'Test Customer',
        user_email: subscription?.user_email ?? 'customer@example.com',
        billing_reason: input.billingReason ?? 'renewal',
        card_brand: 'visa',
        card_last_four: '4242',
        currency,
        currency_rate: '1.00000000',
        status,
        status_formatted: titleCase(status),
        refunded: refundedAmount > 0,
        refunded_at: refundedAmount > 0 ? created : null,
        subtotal: total,
        discount_total: 0,
        tax: 0,
        tax_inclusive: false,
        total,
        refunded_amount: refundedAmount,
        subtotal_usd: total,
        discount_total_usd: 0,
        tax_usd: 0,
        total_usd: total,
        refunded_amount_usd: refundedAmount,
        subtotal_formatted: money(total, currency),
        discount_total_formatted: money(0, currency),
        tax_formatted: money(0, currency),
        total_formatted: money(total, currency),
        refunded_amount_formatted: money(refundedAmount, currency),
        urls: { invoice_url: status === 'pending' ? null : signedAppUrl(`/my-orders/${randomUUID()}/subscription-invoice/${id}`) },
        created_at: created,
        updated_at: created,
        test_mode: true,
      },
      relationships: relationships('subscription-invoices', id, ['store', 'subscription', 'customer']),
      links: { self: `${baseUrl}/v1/subscription-invoices/${id}` },
    };
  }

  function order(input: LemonOrderInput): LemonResource<LemonOrderAttributes> {
    const id = String(input.id ?? newId());
    const currency = input.currency ?? 'USD';
    const variant = variantInfo(input.variantId);
    const total = input.total ?? variant.price;
    const status = input.status ?? 'paid';
    const refundedAmount = input.refundedAmount ?? (status === 'refunded' ? total : 0);
    const created = lemonDate(input.createdAt ?? new Date());
    const customerId = input.customerId ?? newId();
    return {
      type: 'orders',
      id,
      attributes: {
        store_id: Number(options.storeId),
        customer_id: customerId,
        identifier: randomUUID(),
        order_number: Number(id),
        user_name: 'Test Customer',
        user_email: input.userEmail ?? `customer${customerId}@example.com`,
        currency,
        currency_rate: '1.00000000',
        subtotal: total,
        setup_fee: 0,
        discount_total: 0,
        tax: 0,
        total,
        refunded_amount: refundedAmount,
        subtotal_usd: total,
        setup_fee_usd: 0,
        discount_total_usd: 0,
        tax_usd: 0,
        total_usd: total,
        refunded_amount_usd: refundedAmount,
        tax_name: null,
        tax_rate: '0.00',
        tax_inclusive: false,
        status,
        status_formatted: titleCase(status),
        refunded: refundedAmount > 0,
        refunded_at: refundedAmount > 0 ? created : null,
        subtotal_formatted: money(total, currency),
        setup_fee_formatted: money(0, currency),
        discount_total_formatted: money(0, currency),
        tax_formatted: money(0, currency),
        total_formatted: money(total, currency),
        refunded_amount_formatted: money(refundedAmount, currency),
        first_order_item: {
          id: newId(),
          order_id: Number(id),
          product_id: variant.productId,
          variant_id: Number(input.variantId),
          price_id: newId(),
          product_name: 'Stellar Memory',
          variant_name: variant.name,
          price: total,
          quantity: 1,
          created_at: created,
          updated_at: created,
          test_mode: true,
        },
        urls: { receipt: signedAppUrl(`/my-orders/${randomUUID()}`) },
        created_at: created,
        updated_at: created,
        test_mode: true,
      },
      relationships: relationships('orders', id, ['store', 'customer', 'order-items', 'subscriptions', 'license-keys', 'discount-redemptions']),
      links: { self: `${baseUrl}/v1/orders/${id}` },
    };
  }

  function resourceTypeFor(eventName: LemonEventName): string {
    if (eventName.startsWith('subscription_payment_')) return 'subscription-invoices';
    if (eventName.startsWith('order_')) return 'orders';
    return 'subscriptions';
  }

  function webhook(
    eventName: LemonEventName,
    resourceOrAttributes: LemonResource<object> | object,
    webhookOptions: LemonWebhookOptions = {},
  ): string {
    const given = resourceOrAttributes as Partial<LemonResource<object>>;
    const resource: LemonResource<object> =
      given.type !== undefined && given.attributes !== undefined
        ? (given as LemonResource<object>)
        : { type: resourceTypeFor(eventName), id: String(newId()), attributes: resourceOrAttributes };
    const attributes = resource.attributes as Partial<LemonSubscriptionInvoiceAttributes>;
    const subscriptionId = resource.type === 'subscriptions' ? resource.id : String(attributes.subscription_id ?? '');
    const custom = webhookOptions.customData ?? customData.get(subscriptionId);
    return JSON.stringify({
      meta: {
        test_mode: webhookOptions.testMode ?? true,
        event_name: eventName,
        webhook_id: webhookOptions.webhookId ?? randomUUID(),
        ...(custom ? { custom_data: custom } : {}),
      },
      data: resource,
    });
  }

  // --- route handlers ---------------------------------------------------------------------

  function createCheckout(req: RecordedRequest): FakeReply {
    const data = asObject(asObject(req.body)?.data);
    if (!data || data.type !== 'checkouts') return unprocessable('The data.type field must be checkouts.', '/data/type');
    const storeId = relationshipId(data, 'store', 'stores');
    if (storeId === undefined) return unprocessable('The store field is required.', '/data/relationships/store');
    if (storeId !== options.storeId) return lemonError(404, 'Not Found', `Store ${storeId} not found.`, '/data/relationships/store');
    const variantId = relationshipId(data, 'variant', 'variants');
    if (variantId === undefined) return unprocessable('The variant field is required.', '/data/relationships/variant');
    if (options.variants && !options.variants[variantId]) {
      return unprocessable('The selected variant is invalid.', '/data/relationships/variant');
    }
    const attributes = asObject(data.attributes) ?? {};
    const id = randomUUID();
    const url = `${storeUrl}/checkout/custom/${id}?signature=${randomBytes(32).toString('hex')}`;
    checkouts.set(id, { id, storeId, variantId, attributes, url });
    const now = lemonDate(new Date());
    const resource: LemonResource<object> = {
      type: 'checkouts',
      id,
      attributes: {
        store_id: Number(storeId),
        variant_id: Number(variantId),
        custom_price: attributes.custom_price ?? null,
        product_options: { enabled_variants: [], redirect_url: '', ...asObject(attributes.product_options) },
        checkout_options: { embed: false, media: true, logo: true, desc: true, discount: true, ...asObject(attributes.checkout_options) },
        checkout_data: { email: '', name: '', custom: [], ...asObject(attributes.checkout_data) },
        preview: false,
        expires_at: attributes.expires_at ?? null,
        created_at: now,
        updated_at: now,
        test_mode: attributes.test_mode ?? true,
        url,
      },
      relationships: relationships('checkouts', id, ['store', 'variant']),
      links: { self: `${baseUrl}/v1/checkouts/${id}` },
    };
    return { status: 201, body: document(resource) };
  }

  const notFound = (): FakeReply => lemonError(404, 'Not Found', 'The requested resource could not be found.');

  // GET /v1/subscriptions with the documented filters this fake supports: filter[order_id], filter[store_id].
  function listSubscriptions(req: RecordedRequest): FakeReply {
    const orderId = req.query['filter[order_id]'];
    const storeId = req.query['filter[store_id]'];
    const data = [...subscriptions.entries()]
      .filter(([, a]) => (orderId === undefined || String(a.order_id) === String(orderId)) && (storeId === undefined || String(a.store_id) === String(storeId)))
      .map(([id]) => subscriptionResource(id));
    return {
      status: 200,
      body: {
        jsonapi: { version: '1.0' },
        meta: { page: { currentPage: 1, from: data.length ? 1 : null, lastPage: 1, perPage: 10, to: data.length || null, total: data.length } },
        links: { first: `${baseUrl}/v1/subscriptions?page%5Bnumber%5D=1`, last: `${baseUrl}/v1/subscriptions?page%5Bnumber%5D=1` },
        data,
      },
    };
  }

  function getSubscription(id: string): FakeReply {
    return subscriptions.has(id) ? { status: 200, body: document(subscriptionResource(id)) } : notFound();
  }

  // PATCH follows the documented update: cancelled (resume with false), pause (null unpauses), variant_id.
  function updateSubscription(req: RecordedRequest, id: string): FakeReply {
    const current = subscriptions.get(id);
    if (!current) return notFound();
    const data = asObject(asObject(req.body)?.data);
    if (!data || data.type !== 'subscriptions') return unprocessable('The data.type field must be subscriptions.', '/data/type');
    if (String(data.id) !== id) return lemonError(409, 'Conflict', 'The resource id does not match the URL.', '/data/id');
    const attributes = asObject(data.attributes) ?? {};
    const patch: Partial<LemonSubscriptionAttributes> = {};
    if (attributes.cancelled === true) Object.assign(patch, { cancelled: true, status: 'cancelled', ends_at: current.renews_at });
    if (attributes.cancelled === false) Object.assign(patch, { cancelled: false, status: 'active', ends_at: null });
    if (attributes.pause === null) Object.assign(patch, { pause: null, status: 'active' });
    const pause = asObject(attributes.pause);
    if (pause) {
      const resumesAt = typeof pause.resumes_at === 'string' ? lemonDate(pause.resumes_at) : null;
      Object.assign(patch, { pause: { mode: pause.mode === 'free' ? 'free' : 'void', resumes_at: resumesAt }, status: 'paused' });
    }
    if (attributes.variant_id !== undefined) patch.variant_id = Number(attributes.variant_id);
    return { status: 200, body: document(setSubscription(id, patch)) };
  }

  function cancelSubscription(id: string): FakeReply {
    const current = subscriptions.get(id);
    if (!current) return notFound();
    const resource = setSubscription(id, { status: 'cancelled', cancelled: true, ends_at: current.renews_at });
    return { status: 200, body: document(resource) };
  }

  const routes: Route[] = [
    { method: 'POST', pattern: '/v1/checkouts', handler: createCheckout },
    { method: 'GET', pattern: '/v1/subscriptions', handler: listSubscriptions },
    { method: 'GET', pattern: '/v1/subscriptions/:id', handler: (_req, p) => getSubscription(p.id as string) },
    { method: 'PATCH', pattern: '/v1/subscriptions/:id', handler: (req, p) => updateSubscription(req, p.id as string) },
    { method: 'DELETE', pattern: '/v1/subscriptions/:id', handler: (_req, p) => cancelSubscription(p.id as string) },
  ];

  const server = await startFakeServer({
    routes,
    contentType: JSON_API,
    authenticate: (req) => checkHeaders(options.apiKey, req),
    parseBody: parseJsonBody,
    serverError: () => lemonError(500, 'Internal Server Error', 'Server Error'),
    notFound,
  });
  baseUrl = server.url;

  return Object.assign(server, {
    checkouts,
    createSubscription,
    setSubscription,
    completeCheckout,
    subscriptionInvoice,
    order,
    webhook,
  });
}
