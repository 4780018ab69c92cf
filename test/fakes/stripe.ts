// Loopback fake of the Stripe v1 API for the real `stripe` SDK (23.1.0, API version
// 2026-10-28.endive), pointed at it with { host: '127.0.0.1', port, protocol: 'http' }.
//
// Objects are typed with the SDK's own resource types (through Wire<>, which turns the SDK's
// client-side Decimal back into the decimal string sent on the wire), so every field the fake
// returns exists in the current API and none is missing. Shapes that changed in recent API
// versions and that integrations commonly get wrong:
// - current_period_start/current_period_end live on each subscription item, not the subscription;
// - an invoice names its subscription under parent.subscription_details.subscription (with the
//   subscription's metadata snapshot under parent.subscription_details.metadata);
// - a subscription-cycle invoice's own period_start/period_end cover the PREVIOUS period; the new
//   period is on the line item (lines.data[0].period);
// - a Charge has no `invoice` field any more: the invoice is found through
//   GET /v1/invoice_payments?payment[type]=payment_intent&payment[payment_intent]=pi_...
import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import { startFakeServer, type FakeReply, type FakeServer, type RecordedRequest, type Route } from './http.js';

/** The JSON Stripe sends for an SDK type: the SDK parses decimal strings into Decimal objects. */
export type Wire<T> = T extends string | number | boolean | null | undefined
  ? T
  : T extends Stripe.Decimal
    ? string
    : T extends readonly (infer U)[]
      ? Wire<U>[]
      : T extends object
        ? { [K in keyof T]: Wire<T[K]> }
        : T;

export type WireSubscription = Wire<Stripe.Subscription>;
export type WireCheckoutSession = Wire<Stripe.Checkout.Session>;
export type WireCustomer = Wire<Stripe.Customer>;
export type WireInvoice = Wire<Stripe.Invoice>;
export type WireInvoicePayment = Wire<Stripe.InvoicePayment>;
export type WireCharge = Wire<Stripe.Charge>;
export type WirePortalSession = Wire<Stripe.BillingPortal.Session>;

export interface StripeEventPayload<T> extends Omit<Wire<Stripe.EventBase>, 'data'> {
  data: { object: T; previous_attributes?: Record<string, unknown> };
}

export interface FakePrice {
  unitAmount: number;
  currency: string;
  interval: 'day' | 'week' | 'month' | 'year';
}

export interface StartFakeStripeOptions {
  secretKey: string;
  /** Known prices; when given, any other price id is rejected as Stripe would ("No such price"). */
  prices?: Record<string, FakePrice>;
}

export interface SubscriptionInput {
  customer?: string;
  price: string;
  status?: Stripe.Subscription.Status;
  /** Unix seconds; defaults to 30 days from now. */
  currentPeriodEnd?: number;
  /** Unix seconds; defaults to 30 days before currentPeriodEnd. */
  currentPeriodStart?: number;
  cancelAtPeriodEnd?: boolean;
  metadata?: Record<string, string>;
}

export type SubscriptionPatch = Partial<Omit<SubscriptionInput, 'customer'>>;

export interface InvoiceInput {
  subscription: string;
  /** Defaults to the stored subscription's customer. */
  customer?: string;
  /** The invoice total; counted as paid only when status is 'paid'. */
  amountPaid: number;
  currency?: string;
  /** End of the subscription period this invoice pays for (its line item period). */
  periodEnd: number;
  /** Defaults to 30 days before periodEnd. */
  periodStart?: number;
  billingReason?: Stripe.Invoice.BillingReason;
  status?: Stripe.Invoice.Status;
  /** Subscription metadata snapshot; defaults to the stored subscription's metadata. */
  metadata?: Record<string, string>;
  created?: number;
}

export interface ChargeInput {
  customer?: string;
  amount: number;
  amountRefunded?: number;
  /** Defaults to amountRefunded >= amount. */
  refunded?: boolean;
  currency?: string;
  /** Id of an invoice built by fake.invoice(): the charge gets that invoice's payment intent. */
  invoice?: string;
  metadata?: Record<string, string>;
  created?: number;
}

export interface EventOptions {
  created?: number;
  id?: string;
  previousAttributes?: Record<string, unknown>;
}

export interface FakeStripe extends FakeServer {
  readonly customers: Map<string, WireCustomer>;
  readonly checkoutSessions: Map<string, WireCheckoutSession>;
  readonly subscriptions: Map<string, WireSubscription>;
  readonly invoices: Map<string, WireInvoice>;
  readonly charges: Map<string, WireCharge>;
  createSubscription(input: SubscriptionInput): WireSubscription;
  setSubscription(id: string, patch: SubscriptionPatch): WireSubscription;
  /** Completes a Checkout Session the way a paying customer would: creates its subscription. */
  completeCheckoutSession(
    id: string,
    options?: { currentPeriodEnd?: number },
  ): { session: WireCheckoutSession; subscription: WireSubscription };
  invoice(input: InvoiceInput): WireInvoice;
  charge(input: ChargeInput): WireCharge;
  event<T>(type: Stripe.Event.Type, object: T, options?: EventOptions): StripeEventPayload<T>;
  sign(payload: string, secret: string, timestamp?: number): string;
}

const DAY = 86_400;
const DEFAULT_PRICE: FakePrice = { unitAmount: 1000, currency: 'usd', interval: 'month' };
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

function randomId(prefix: string, length = 24): string {
  const bytes = randomBytes(length);
  let id = '';
  for (const byte of bytes) id += BASE62[byte % BASE62.length];
  return `${prefix}_${id}`;
}

// ---------------------------------------------------------------------------------------------
// Wire format: application/x-www-form-urlencoded with Stripe's bracket syntax.

function decodeFormComponent(text: string): string {
  return decodeURIComponent(text.replace(/\+/g, ' '));
}

function keyPath(key: string): string[] {
  const open = key.indexOf('[');
  if (open <= 0) return [key];
  const segments = [...key.slice(open).matchAll(/\[([^\]]*)\]/g)].map((m) => m[1] as string);
  return [key.slice(0, open), ...segments];
}

// Arrays are created when the next segment is an index (`line_items[0][price]`) or empty (`expand[]`).
function assignPath(root: Record<string, unknown>, path: string[], value: string): void {
  let container: Record<string, unknown> = root;
  for (let i = 0; i < path.length; i++) {
    const isArray = Array.isArray(container);
    const segment = path[i] === '' && isArray ? String(container.length) : (path[i] as string);
    if (i === path.length - 1) {
      container[segment] = value;
      return;
    }
    const next = path[i + 1] as string;
    if (typeof container[segment] !== 'object' || container[segment] === null) {
      container[segment] = /^\d*$/.test(next) ? [] : {};
    }
    container = container[segment] as Record<string, unknown>;
  }
}

/** Parses Stripe's form encoding into nested objects and arrays (all leaf values are strings). */
export function parseStripeForm(raw: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const pair of raw.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decodeFormComponent(eq === -1 ? pair : pair.slice(0, eq));
    const value = eq === -1 ? '' : decodeFormComponent(pair.slice(eq + 1));
    assignPath(root, keyPath(key), value);
  }
  return root;
}

// ---------------------------------------------------------------------------------------------
// Errors, in Stripe's { error: { type, message, code?, param? } } shape.

function stripeError(
  status: number,
  type: string,
  message: string,
  extra: { code?: string; param?: string } = {},
): FakeReply {
  const docUrl = extra.code ? { doc_url: `https://stripe.com/docs/error-codes/${extra.code.replace(/_/g, '-')}` } : {};
  return {
    status,
    headers: { 'request-id': randomId('req', 14) },
    body: { error: { ...extra, ...docUrl, message, type, request_log_url: null } },
  };
}

const invalid = (message: string, param?: string): FakeReply =>
  stripeError(400, 'invalid_request_error', message, param ? { param } : {});

const missingParam = (param: string): FakeReply =>
  stripeError(400, 'invalid_request_error', `Missing required param: ${param}.`, { code: 'parameter_missing', param });

const noSuch = (resource: string, id: string, param = 'id', status = 404): FakeReply =>
  stripeError(status, 'invalid_request_error', `No such ${resource}: '${id}'`, { code: 'resource_missing', param });

const ok = (body: unknown): FakeReply => ({ status: 200, body, headers: { 'request-id': randomId('req', 14) } });

function authenticate(secretKey: string, req: RecordedRequest): FakeReply | undefined {
  const header = req.headers.authorization;
  if (header === `Bearer ${secretKey}`) return undefined;
  if (!header) {
    return stripeError(
      401,
      'invalid_request_error',
      'You did not provide an API key. You need to provide your API key in the Authorization header, ' +
        "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
    );
  }
  const shown = header.replace(/^Bearer\s+/i, '');
  return stripeError(401, 'invalid_request_error', `Invalid API Key provided: ${shown.slice(0, 8)}****${shown.slice(-4)}`);
}

// ---------------------------------------------------------------------------------------------
// Resource builders.

function buildCustomer(input: { email?: string | null; name?: string | null; metadata?: Record<string, string> }): WireCustomer {
  return {
    id: randomId('cus', 14),
    object: 'customer',
    address: null,
    balance: 0,
    created: nowSeconds(),
    currency: null,
    default_source: null,
    delinquent: false,
    description: null,
    discount: null,
    email: input.email ?? null,
    invoice_prefix: randomId('', 8).slice(1).toUpperCase(),
    invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
    livemode: false,
    metadata: input.metadata ?? {},
    name: input.name ?? null,
    next_invoice_sequence: 1,
    phone: null,
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: null,
  };
}

function buildPrice(id: string, price: FakePrice, created: number): Wire<Stripe.Price> {
  return {
    id,
    object: 'price',
    active: true,
    billing_scheme: 'per_unit',
    created,
    currency: price.currency,
    custom_unit_amount: null,
    livemode: false,
    lookup_key: null,
    metadata: {},
    nickname: null,
    product: `prod_${id.replace(/^price_/, '')}`,
    recurring: { interval: price.interval, interval_count: 1, meter: null, trial_period_days: null, usage_type: 'licensed' },
    tax_behavior: 'unspecified',
    tiers_mode: null,
    transform_quantity: null,
    type: 'recurring',
    unit_amount: price.unitAmount,
    unit_amount_decimal: String(price.unitAmount),
  };
}

function buildPlan(price: Wire<Stripe.Price>, interval: FakePrice['interval']): Wire<Stripe.Plan> {
  return {
    id: price.id,
    object: 'plan',
    active: true,
    amount: price.unit_amount,
    amount_decimal: price.unit_amount_decimal,
    billing_scheme: 'per_unit',
    created: price.created,
    currency: price.currency,
    interval,
    interval_count: 1,
    livemode: false,
    metadata: {},
    meter: null,
    nickname: null,
    product: price.product,
    tiers_mode: null,
    transform_usage: null,
    trial_period_days: null,
    usage_type: 'licensed',
  };
}

interface SubscriptionState {
  id: string;
  customer: string;
  priceId: string;
  price: FakePrice;
  status: Stripe.Subscription.Status;
  currentPeriodStart: number;
  currentPeriodEnd: number;
  cancelAtPeriodEnd: boolean;
  metadata: Record<string, string>;
  created: number;
  canceledAt: number | null;
  endedAt: number | null;
}

function buildSubscription(state: SubscriptionState, itemId: string): WireSubscription {
  const price = buildPrice(state.priceId, state.price, state.created);
  const item: Wire<Stripe.SubscriptionItem> = {
    id: itemId,
    object: 'subscription_item',
    billing_thresholds: null,
    created: state.created,
    current_period_end: state.currentPeriodEnd,
    current_period_start: state.currentPeriodStart,
    current_trial: null,
    discounts: [],
    metadata: {},
    plan: buildPlan(price, state.price.interval),
    price,
    quantity: 1,
    subscription: state.id,
    tax_rates: [],
  };
  return {
    id: state.id,
    object: 'subscription',
    application: null,
    application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor: state.currentPeriodStart,
    billing_cycle_anchor_config: null,
    billing_mode: { flexible: null, type: 'classic' },
    billing_schedules: [],
    billing_thresholds: null,
    cancel_at: state.cancelAtPeriodEnd ? state.currentPeriodEnd : null,
    cancel_at_period_end: state.cancelAtPeriodEnd,
    canceled_at: state.canceledAt,
    cancellation_details: { comment: null, feedback: null, feedback_option: null, reason: state.canceledAt ? 'cancellation_requested' : null },
    collection_method: 'charge_automatically',
    created: state.created,
    currency: state.price.currency,
    customer: state.customer,
    customer_account: null,
    days_until_due: null,
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    ended_at: state.endedAt,
    invoice_settings: { account_tax_ids: null, custom_fields: null, description: null, footer: null, issuer: { type: 'self' } },
    items: { object: 'list', data: [item], has_more: false, url: `/v1/subscription_items?subscription=${state.id}` },
    latest_invoice: null,
    livemode: false,
    managed_payments: null,
    metadata: state.metadata,
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: { payment_method_options: null, payment_method_types: null, save_default_payment_method: 'off' },
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: null,
    start_date: state.created,
    status: state.status,
    test_clock: null,
    transfer_data: null,
    trial_end: null,
    trial_settings: { end_behavior: { billing_cycle_anchor: null, missing_payment_method: 'create_invoice' } },
    trial_start: null,
  };
}

interface SessionInput {
  mode: Stripe.Checkout.Session.Mode;
  priceId: string | undefined;
  price: FakePrice;
  customer: string | null;
  customerEmail: string | null;
  clientReferenceId: string | null;
  metadata: Record<string, string>;
  successUrl: string | null;
  cancelUrl: string | null;
}

function buildCheckoutSession(input: SessionInput): WireCheckoutSession {
  const id = randomId('cs_test', 58);
  const created = nowSeconds();
  return {
    id,
    object: 'checkout.session',
    adaptive_pricing: { enabled: false },
    after_expiration: null,
    allow_promotion_codes: null,
    allowed_payment_method_types: null,
    amount_subtotal: input.price.unitAmount,
    amount_total: input.price.unitAmount,
    automatic_tax: { enabled: false, liability: null, provider: null, status: null },
    billing_address_collection: null,
    cancel_url: input.cancelUrl,
    client_reference_id: input.clientReferenceId,
    client_secret: null,
    collected_information: null,
    consent: null,
    consent_collection: null,
    created,
    currency: input.price.currency,
    currency_conversion: null,
    custom_fields: [],
    custom_text: { after_submit: null, shipping_address: null, submit: null, terms_of_service_acceptance: null },
    customer: input.customer,
    customer_account: null,
    customer_creation: input.customer ? null : 'always',
    customer_details: null,
    customer_email: input.customerEmail,
    discounts: [],
    expires_at: created + DAY,
    integration_identifier: null,
    invoice: null,
    invoice_creation: null,
    livemode: false,
    locale: null,
    managed_payments: null,
    metadata: input.metadata,
    mode: input.mode,
    origin_context: null,
    payment_intent: null,
    payment_link: null,
    payment_method_collection: 'always',
    payment_method_configuration_details: null,
    payment_method_options: { card: { request_three_d_secure: 'automatic' } },
    payment_method_types: ['card'],
    payment_status: 'unpaid',
    permissions: null,
    recovered_from: null,
    saved_payment_method_options: null,
    setup_intent: null,
    shipping_address_collection: null,
    shipping_cost: null,
    shipping_options: [],
    status: 'open',
    submit_type: null,
    subscription: null,
    success_url: input.successUrl,
    total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
    ui_mode: 'hosted',
    url: `https://checkout.stripe.com/c/pay/${id}#${randomBytes(24).toString('base64url')}`,
    wallet_options: null,
  };
}

function buildPortalSession(customer: string, returnUrl: string | null): WirePortalSession {
  return {
    id: randomId('bps'),
    object: 'billing_portal.session',
    configuration: randomId('bpc'),
    created: nowSeconds(),
    customer,
    customer_account: null,
    flow: null,
    livemode: false,
    locale: null,
    on_behalf_of: null,
    return_url: returnUrl,
    url: `https://billing.stripe.com/p/session/test_${randomBytes(24).toString('base64url')}`,
  };
}

interface InvoiceParts {
  id: string;
  customer: string;
  subscription: string;
  subscriptionItem: string | null;
  priceId: string;
  total: number;
  currency: string;
  periodStart: number;
  periodEnd: number;
  billingReason: Stripe.Invoice.BillingReason;
  status: Stripe.Invoice.Status;
  metadata: Record<string, string>;
  created: number;
}

function buildInvoiceLine(parts: InvoiceParts): Wire<Stripe.InvoiceLineItem> {
  return {
    id: randomId('il'),
    object: 'line_item',
    amount: parts.total,
    currency: parts.currency,
    description: `1 × subscription (at ${parts.total / 100} / month)`,
    discount_amounts: [],
    discountable: true,
    discounts: [],
    invoice: parts.id,
    livemode: false,
    metadata: parts.metadata,
    parent: {
      invoice_item_details: null,
      subscription_item_details: {
        invoice_item: null,
        proration: false,
        proration_details: { credited_items: null },
        subscription: parts.subscription,
        subscription_item: parts.subscriptionItem ?? randomId('si', 14),
      },
      type: 'subscription_item_details',
    },
    period: { end: parts.periodEnd, start: parts.periodStart },
    pretax_credit_amounts: [],
    pricing: {
      price_details: { price: parts.priceId, product: `prod_${parts.priceId.replace(/^price_/, '')}` },
      type: 'price_details',
      unit_amount_decimal: String(parts.total),
    },
    quantity: 1,
    quantity_decimal: '1',
    subscription: parts.subscription,
    subtotal: parts.total,
    taxes: [],
  };
}

// Stripe bills a renewal at the start of the new period, so the invoice's own period is the one
// that just ended; a first invoice has an empty period at its creation time.
function invoiceOwnPeriod(parts: InvoiceParts): { start: number; end: number } {
  if (parts.billingReason === 'subscription_cycle') {
    return { start: parts.periodStart - (parts.periodEnd - parts.periodStart), end: parts.periodStart };
  }
  return { start: parts.created, end: parts.created };
}

function buildInvoice(parts: InvoiceParts): WireInvoice {
  const paid = parts.status === 'paid';
  const own = invoiceOwnPeriod(parts);
  return {
    id: parts.id,
    object: 'invoice',
    account_country: 'US',
    account_name: 'Stellar Memory (test)',
    account_tax_ids: null,
    amount_due: parts.total,
    amount_overpaid: 0,
    amount_paid: paid ? parts.total : 0,
    amount_remaining: paid ? 0 : parts.total,
    amount_shipping: 0,
    application: null,
    attempt_count: parts.status === 'draft' ? 0 : 1,
    attempted: parts.status !== 'draft',
    auto_advance: !paid,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null, provider: null, status: null },
    automatically_finalizes_at: null,
    billing_reason: parts.billingReason,
    collection_method: 'charge_automatically',
    created: parts.created,
    currency: parts.currency,
    custom_fields: null,
    customer: parts.customer,
    customer_account: null,
    customer_address: null,
    customer_email: null,
    customer_name: null,
    customer_phone: null,
    customer_shipping: null,
    customer_tax_exempt: 'none',
    customer_tax_ids: [],
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    due_date: null,
    effective_at: parts.created,
    ending_balance: 0,
    footer: null,
    from_invoice: null,
    hosted_invoice_url: `https://invoice.stripe.com/i/acct_test/test_${randomBytes(18).toString('base64url')}`,
    invoice_pdf: `https://pay.stripe.com/invoice/acct_test/test_${randomBytes(18).toString('base64url')}/pdf`,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: { object: 'list', data: [buildInvoiceLine(parts)], has_more: false, url: `/v1/invoices/${parts.id}/lines` },
    livemode: false,
    metadata: {},
    next_payment_attempt: paid ? null : parts.created + 3 * DAY,
    number: `${randomId('', 8).slice(1).toUpperCase()}-0001`,
    on_behalf_of: null,
    parent: {
      quote_details: null,
      subscription_details: { metadata: parts.metadata, subscription: parts.subscription },
      type: 'subscription_details',
    },
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    period_end: own.end,
    period_start: own.start,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: 0,
    statement_descriptor: null,
    status: parts.status,
    status_transitions: {
      finalized_at: parts.status === 'draft' ? null : parts.created,
      marked_uncollectible_at: null,
      paid_at: paid ? parts.created : null,
      voided_at: null,
    },
    subtotal: parts.total,
    subtotal_excluding_tax: parts.total,
    test_clock: null,
    total: parts.total,
    total_discount_amounts: [],
    total_excluding_tax: parts.total,
    total_pretax_credit_amounts: [],
    total_taxes: [],
    webhooks_delivered_at: parts.created,
  };
}

function buildInvoicePayment(invoice: WireInvoice, paymentIntent: string): WireInvoicePayment {
  return {
    id: randomId('inpay'),
    object: 'invoice_payment',
    amount_paid: invoice.amount_paid,
    amount_requested: invoice.amount_due,
    created: invoice.created,
    currency: invoice.currency,
    invoice: invoice.id,
    is_default: true,
    livemode: false,
    payment: { payment_intent: paymentIntent, type: 'payment_intent' },
    status: 'paid',
    status_transitions: { canceled_at: null, paid_at: invoice.created },
  };
}

interface ChargeParts {
  customer: string | null;
  amount: number;
  amountRefunded: number;
  refunded: boolean;
  currency: string;
  paymentIntent: string;
  metadata: Record<string, string>;
  created: number;
}

function buildCharge(parts: ChargeParts): WireCharge {
  const id = randomId('ch');
  return {
    id,
    object: 'charge',
    amount: parts.amount,
    amount_captured: parts.amount,
    amount_refunded: parts.amountRefunded,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: randomId('txn'),
    billing_details: { address: null, email: null, name: null, phone: null, tax_id: null },
    calculated_statement_descriptor: 'STELLAR MEMORY',
    captured: true,
    created: parts.created,
    currency: parts.currency,
    customer: parts.customer,
    description: 'Subscription update',
    disputed: false,
    failure_balance_transaction: null,
    failure_code: null,
    failure_message: null,
    fraud_details: {},
    livemode: false,
    metadata: parts.metadata,
    on_behalf_of: null,
    outcome: {
      advice_code: null,
      network_advice_code: null,
      network_decline_code: null,
      network_status: 'approved_by_network',
      reason: null,
      risk_level: 'normal',
      risk_score: 32,
      seller_message: 'Payment complete.',
      type: 'authorized',
    },
    paid: true,
    payment_intent: parts.paymentIntent,
    payment_method: randomId('pm'),
    payment_method_details: null,
    receipt_email: null,
    receipt_number: null,
    receipt_url: `https://pay.stripe.com/receipts/payment/${randomBytes(24).toString('base64url')}`,
    refunded: parts.refunded,
    review: null,
    shipping: null,
    source: null,
    source_transfer: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: 'succeeded',
    transfer_data: null,
    transfer_group: null,
  };
}

// ---------------------------------------------------------------------------------------------
// Request parameter helpers (form values are strings; nested ones are objects or arrays).

function stringParam(body: Record<string, unknown>, name: string): string | null {
  const value = body[name];
  return typeof value === 'string' && value !== '' ? value : null;
}

function metadataParam(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null) return {};
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

// Stripe merges metadata on update; an empty value deletes a key and metadata="" clears it all.
function mergeMetadata(current: Record<string, string>, update: unknown): Record<string, string> {
  if (update === '') return {};
  const merged = { ...current };
  for (const [key, value] of Object.entries(metadataParam(update))) {
    if (value === '') delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

function unknownParam(body: Record<string, unknown>, allowed: string[]): string | undefined {
  return Object.keys(body).find((key) => !allowed.includes(key));
}

function formBody(req: RecordedRequest): Record<string, unknown> {
  return (req.body as Record<string, unknown> | undefined) ?? {};
}

// ---------------------------------------------------------------------------------------------

export async function startFakeStripe(options: StartFakeStripeOptions): Promise<FakeStripe> {
  const customers = new Map<string, WireCustomer>();
  const checkoutSessions = new Map<string, WireCheckoutSession>();
  const sessionPrices = new Map<string, { priceId: string; subscriptionMetadata: Record<string, string> }>();
  const subscriptionStates = new Map<string, SubscriptionState>();
  const subscriptions = new Map<string, WireSubscription>();
  const subscriptionItemIds = new Map<string, string>();
  const invoices = new Map<string, WireInvoice>();
  const invoicePayments: WireInvoicePayment[] = [];
  const charges = new Map<string, WireCharge>();
  const idempotent = new Map<string, { path: string; rawBody: string; reply: FakeReply }>();

  function priceFor(priceId: string): FakePrice | undefined {
    if (!options.prices) return DEFAULT_PRICE;
    return options.prices[priceId];
  }

  function ensureCustomer(id: string | undefined, email: string | null = null): string {
    if (id && customers.has(id)) return id;
    const customer = buildCustomer({ email });
    if (id) customer.id = id;
    customers.set(customer.id, customer);
    return customer.id;
  }

  function render(state: SubscriptionState): WireSubscription {
    let itemId = subscriptionItemIds.get(state.id);
    if (!itemId) {
      itemId = randomId('si', 14);
      subscriptionItemIds.set(state.id, itemId);
    }
    const subscription = buildSubscription(state, itemId);
    subscriptions.set(state.id, subscription);
    return subscription;
  }

  function createSubscription(input: SubscriptionInput): WireSubscription {
    const price = priceFor(input.price);
    if (!price) throw new Error(`fake stripe: unknown price ${input.price}`);
    const currentPeriodEnd = input.currentPeriodEnd ?? nowSeconds() + 30 * DAY;
    const currentPeriodStart = input.currentPeriodStart ?? currentPeriodEnd - 30 * DAY;
    const state: SubscriptionState = {
      id: randomId('sub'),
      customer: ensureCustomer(input.customer),
      priceId: input.price,
      price,
      status: input.status ?? 'active',
      currentPeriodStart,
      currentPeriodEnd,
      cancelAtPeriodEnd: input.cancelAtPeriodEnd ?? false,
      metadata: input.metadata ?? {},
      created: Math.min(nowSeconds(), currentPeriodStart),
      canceledAt: null,
      endedAt: null,
    };
    subscriptionStates.set(state.id, state);
    return render(state);
  }

  function requireState(id: string): SubscriptionState {
    const state = subscriptionStates.get(id);
    if (!state) throw new Error(`fake stripe: unknown subscription ${id}`);
    return state;
  }

  function setSubscription(id: string, patch: SubscriptionPatch): WireSubscription {
    const state = requireState(id);
    if (patch.price !== undefined) {
      const price = priceFor(patch.price);
      if (!price) throw new Error(`fake stripe: unknown price ${patch.price}`);
      state.priceId = patch.price;
      state.price = price;
    }
    if (patch.status !== undefined) state.status = patch.status;
    if (patch.currentPeriodStart !== undefined) state.currentPeriodStart = patch.currentPeriodStart;
    if (patch.currentPeriodEnd !== undefined) {
      state.currentPeriodEnd = patch.currentPeriodEnd;
      if (patch.currentPeriodStart === undefined) state.currentPeriodStart = patch.currentPeriodEnd - 30 * DAY;
    }
    if (patch.cancelAtPeriodEnd !== undefined) {
      state.cancelAtPeriodEnd = patch.cancelAtPeriodEnd;
      state.canceledAt = patch.cancelAtPeriodEnd ? nowSeconds() : null;
    }
    if (patch.metadata !== undefined) state.metadata = patch.metadata;
    if (state.status === 'canceled' || state.status === 'incomplete_expired') {
      state.canceledAt ??= nowSeconds();
      state.endedAt ??= nowSeconds();
    }
    return render(state);
  }

  function completeCheckoutSession(id: string, completeOptions: { currentPeriodEnd?: number } = {}) {
    const session = checkoutSessions.get(id);
    const extra = sessionPrices.get(id);
    if (!session || !extra) throw new Error(`fake stripe: unknown checkout session ${id}`);
    const customer = ensureCustomer(typeof session.customer === 'string' ? session.customer : undefined, session.customer_email);
    const subscription = createSubscription({
      customer,
      price: extra.priceId,
      metadata: extra.subscriptionMetadata,
      ...(completeOptions.currentPeriodEnd !== undefined ? { currentPeriodEnd: completeOptions.currentPeriodEnd } : {}),
    });
    const email = session.customer_email ?? customers.get(customer)?.email ?? null;
    Object.assign(session, {
      status: 'complete',
      payment_status: 'paid',
      customer,
      subscription: subscription.id,
      url: null,
      customer_details: {
        address: null,
        business_name: null,
        email,
        individual_name: null,
        name: null,
        phone: null,
        tax_exempt: 'none',
        tax_ids: [],
      },
    } satisfies Partial<WireCheckoutSession>);
    return { session, subscription };
  }

  function invoice(input: InvoiceInput): WireInvoice {
    const state = subscriptionStates.get(input.subscription);
    const customer = input.customer ?? state?.customer;
    if (!customer) throw new Error('fake stripe: invoice() needs a customer for an unknown subscription');
    const parts: InvoiceParts = {
      id: randomId('in'),
      customer,
      subscription: input.subscription,
      subscriptionItem: subscriptionItemIds.get(input.subscription) ?? null,
      priceId: state?.priceId ?? 'price_unknown',
      total: input.amountPaid,
      currency: input.currency ?? state?.price.currency ?? 'usd',
      periodStart: input.periodStart ?? input.periodEnd - 30 * DAY,
      periodEnd: input.periodEnd,
      billingReason: input.billingReason ?? 'subscription_cycle',
      status: input.status ?? 'paid',
      metadata: input.metadata ?? { ...(state?.metadata ?? {}) },
      created: input.created ?? nowSeconds(),
    };
    const built = buildInvoice(parts);
    invoices.set(built.id, built);
    if (parts.status === 'paid') invoicePayments.push(buildInvoicePayment(built, randomId('pi')));
    return built;
  }

  function charge(input: ChargeInput): WireCharge {
    let paymentIntent = randomId('pi');
    let customer = input.customer ?? null;
    if (input.invoice !== undefined) {
      const payment = invoicePayments.find((p) => p.invoice === input.invoice);
      if (!payment) throw new Error(`fake stripe: no paid invoice ${input.invoice}`);
      paymentIntent = payment.payment.payment_intent as string;
      customer ??= invoices.get(input.invoice)?.customer as string;
    }
    const amountRefunded = input.amountRefunded ?? 0;
    const built = buildCharge({
      customer,
      amount: input.amount,
      amountRefunded,
      refunded: input.refunded ?? amountRefunded >= input.amount,
      currency: input.currency ?? 'usd',
      paymentIntent,
      metadata: input.metadata ?? {},
      created: input.created ?? nowSeconds(),
    });
    charges.set(built.id, built);
    return built;
  }

  function event<T>(type: Stripe.Event.Type, object: T, eventOptions: EventOptions = {}): StripeEventPayload<T> {
    return {
      id: eventOptions.id ?? randomId('evt'),
      object: 'event',
      api_version: Stripe.API_VERSION,
      created: eventOptions.created ?? nowSeconds(),
      data: eventOptions.previousAttributes ? { object, previous_attributes: eventOptions.previousAttributes } : { object },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    };
  }

  // --- route handlers ---------------------------------------------------------------------

  function createCheckoutSession(req: RecordedRequest): FakeReply {
    const body = formBody(req);
    const mode = stringParam(body, 'mode');
    if (!mode) return missingParam('mode');
    const lineItems = Array.isArray(body.line_items) ? (body.line_items as Record<string, unknown>[]) : [];
    const priceId = lineItems[0] ? stringParam(lineItems[0], 'price') : null;
    if (mode === 'subscription' && !priceId) {
      return invalid('You must provide at least one recurring price in `subscription` mode when using prices.', 'line_items');
    }
    const price = priceId ? priceFor(priceId) : DEFAULT_PRICE;
    if (!price) return noSuch('price', priceId as string, 'line_items[0][price]', 400);
    const customer = stringParam(body, 'customer');
    const customerEmail = stringParam(body, 'customer_email');
    if (customer && customerEmail) return invalid('You may only specify one of these parameters: customer, customer_email.');
    if (customer && !customers.has(customer)) return noSuch('customer', customer, 'customer', 400);
    const subscriptionData = body.subscription_data as Record<string, unknown> | undefined;
    const session = buildCheckoutSession({
      mode: mode as Stripe.Checkout.Session.Mode,
      priceId: priceId ?? undefined,
      price,
      customer,
      customerEmail,
      clientReferenceId: stringParam(body, 'client_reference_id'),
      metadata: metadataParam(body.metadata),
      successUrl: stringParam(body, 'success_url'),
      cancelUrl: stringParam(body, 'cancel_url'),
    });
    checkoutSessions.set(session.id, session);
    sessionPrices.set(session.id, { priceId: priceId ?? 'price_unknown', subscriptionMetadata: metadataParam(subscriptionData?.metadata) });
    return ok(session);
  }

  function createCustomer(req: RecordedRequest): FakeReply {
    const body = formBody(req);
    const customer = buildCustomer({
      email: stringParam(body, 'email'),
      name: stringParam(body, 'name'),
      metadata: metadataParam(body.metadata),
    });
    customers.set(customer.id, customer);
    return ok(customer);
  }

  function createPortalSession(req: RecordedRequest): FakeReply {
    const body = formBody(req);
    const customer = stringParam(body, 'customer');
    if (!customer) return missingParam('customer');
    if (!customers.has(customer)) return noSuch('customer', customer, 'customer', 400);
    return ok(buildPortalSession(customer, stringParam(body, 'return_url')));
  }

  function updateSubscription(req: RecordedRequest, id: string): FakeReply {
    const state = subscriptionStates.get(id);
    if (!state) return noSuch('subscription', id);
    const body = formBody(req);
    const unknown = unknownParam(body, ['cancel_at_period_end', 'metadata', 'cancellation_details', 'proration_behavior', 'expand']);
    if (unknown) return invalid(`Received unknown parameter: ${unknown}`, unknown);
    const patch: SubscriptionPatch = {};
    if (body.cancel_at_period_end !== undefined) patch.cancelAtPeriodEnd = body.cancel_at_period_end === 'true';
    if (body.metadata !== undefined) patch.metadata = mergeMetadata(state.metadata, body.metadata);
    return ok(setSubscription(id, patch));
  }

  function cancelSubscription(id: string): FakeReply {
    const state = subscriptionStates.get(id);
    if (!state) return noSuch('subscription', id);
    if (state.status === 'canceled') return ok(subscriptions.get(id));
    return ok(setSubscription(id, { status: 'canceled' }));
  }

  function listInvoicePayments(req: RecordedRequest): FakeReply {
    const payment = req.query.payment as Record<string, unknown> | undefined;
    const wantedIntent = payment && typeof payment.payment_intent === 'string' ? payment.payment_intent : undefined;
    const wantedInvoice = typeof req.query.invoice === 'string' ? req.query.invoice : undefined;
    const data = invoicePayments.filter(
      (p) => (!wantedIntent || p.payment.payment_intent === wantedIntent) && (!wantedInvoice || p.invoice === wantedInvoice),
    );
    return ok({ object: 'list', data, has_more: false, url: '/v1/invoice_payments' });
  }

  function lookup<T>(store: Map<string, T>, resource: string) {
    return (_req: RecordedRequest, params: Record<string, string>): FakeReply => {
      const found = store.get(params.id as string);
      return found ? ok(found) : noSuch(resource, params.id as string);
    };
  }

  // Stripe replays the stored response for a reused Idempotency-Key (for 24 hours; the fake for its
  // lifetime, reset() included), and refuses the key when the parameters differ.
  function idempotentPost(handler: (req: RecordedRequest, params: Record<string, string>) => FakeReply) {
    return (req: RecordedRequest, params: Record<string, string>): FakeReply => {
      const key = req.headers['idempotency-key'];
      if (!key) return handler(req, params);
      const previous = idempotent.get(key);
      if (previous) {
        if (previous.path !== req.path || previous.rawBody !== req.rawBody) {
          return stripeError(
            400,
            'idempotency_error',
            'Keys for idempotent requests can only be used with the same parameters they were first used with. ' +
              `Try using a key other than '${key}' if you meant to execute a different request.`,
          );
        }
        return { ...previous.reply, headers: { ...previous.reply.headers, 'idempotent-replayed': 'true', 'idempotency-key': key } };
      }
      const reply = handler(req, params);
      if (reply.status < 300) idempotent.set(key, { path: req.path, rawBody: req.rawBody, reply: structuredClone(reply) });
      return { ...reply, headers: { ...reply.headers, 'idempotency-key': key } };
    };
  }

  const routes: Route[] = [
    { method: 'POST', pattern: '/v1/checkout/sessions', handler: idempotentPost(createCheckoutSession) },
    { method: 'GET', pattern: '/v1/checkout/sessions/:id', handler: lookup(checkoutSessions, 'checkout.session') },
    { method: 'POST', pattern: '/v1/customers', handler: idempotentPost(createCustomer) },
    { method: 'GET', pattern: '/v1/customers/:id', handler: lookup(customers, 'customer') },
    { method: 'POST', pattern: '/v1/billing_portal/sessions', handler: idempotentPost(createPortalSession) },
    { method: 'GET', pattern: '/v1/subscriptions/:id', handler: lookup(subscriptions, 'subscription') },
    { method: 'POST', pattern: '/v1/subscriptions/:id', handler: idempotentPost((req, p) => updateSubscription(req, p.id as string)) },
    { method: 'DELETE', pattern: '/v1/subscriptions/:id', handler: (_req, p) => cancelSubscription(p.id as string) },
    { method: 'GET', pattern: '/v1/invoices/:id', handler: lookup(invoices, 'invoice') },
    { method: 'GET', pattern: '/v1/invoice_payments', handler: listInvoicePayments },
    { method: 'GET', pattern: '/v1/charges/:id', handler: lookup(charges, 'charge') },
  ];

  const server = await startFakeServer({
    routes,
    authenticate: (req) => authenticate(options.secretKey, req),
    parseBody: (raw) => (raw === '' ? undefined : parseStripeForm(raw)),
    parseQuery: parseStripeForm,
    serverError: () => stripeError(500, 'api_error', 'An unknown error occurred'),
    notFound: (req) =>
      stripeError(
        404,
        'invalid_request_error',
        `Unrecognized request URL (${req.method}: ${req.path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
      ),
  });

  return Object.assign(server, {
    customers,
    checkoutSessions,
    subscriptions,
    invoices,
    charges,
    createSubscription,
    setSubscription,
    completeCheckoutSession,
    invoice,
    charge,
    event,
    sign: signStripe,
  });
}

/** A Stripe-Signature header for `payload`, computed by the SDK exactly as Stripe does. */
export function signStripe(payload: string, secret: string, timestamp?: number): string {
  return Stripe.webhooks.generateTestHeaderString({
    payload,
    secret,
    ...(timestamp !== undefined ? { timestamp } : {}),
  });
}
