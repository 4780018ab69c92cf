import Stripe from 'stripe';
import type { Logger } from 'pino';
import type { StripeConfig } from '../config.js';
import { Provider, SubscriptionStatus, Tier } from '../entities/enums.js';
import { providerError } from '../errors.js';
import {
  BillingEventType,
  WebhookRejected,
  type CheckoutRequest,
  type CheckoutResult,
  type NormalizedWebhook,
  type PaymentProvider,
  type RemoteSubscriptionState,
  type SubscriptionRef,
  type TierByPrice,
  type VerifiedWebhook,
  type WebhookRequest,
} from './types.js';
import { headerValue, ignored, typeForStatus } from './webhook.js';

/** Stripe's default, and our rule (docs/billing.md): a signature older than this is refused (replays). */
const STRIPE_SIGNATURE_TOLERANCE_S = 300;

/**
 * Stripe through the official SDK (API version 2026-10-28.endive), pointed at STRIPE_API_URL when
 * set. Current API shapes: the billing period lives on each subscription item.
 */

/** SDK connection options for a base URL such as http://127.0.0.1:12345 (a proxy or a test fake). */
export function stripeClientOptions(apiUrl: string | undefined, timeoutMs: number): Stripe.StripeConfig {
  const base: Stripe.StripeConfig = { maxNetworkRetries: 0, timeout: timeoutMs, telemetry: false };
  if (!apiUrl) return base;
  const url = new URL(apiUrl);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return { ...base, host: url.hostname, port: Number(url.port || (protocol === 'http' ? 80 : 443)), protocol };
}

export function stripeStatus(status: Stripe.Subscription.Status): SubscriptionStatus {
  switch (status) {
    case 'active':
    case 'trialing':
      return SubscriptionStatus.ACTIVE;
    case 'past_due':
    case 'unpaid':
      return SubscriptionStatus.PAST_DUE;
    // canceled, incomplete_expired; also incomplete (first payment not made) and paused (nothing collected).
    default:
      return SubscriptionStatus.EXPIRED;
  }
}

const idOf = (value: string | { id: string } | null | undefined): string | null =>
  value == null ? null : typeof value === 'string' ? value : value.id;

/** Our normalized view of a Stripe Subscription object (API or webhook payload). */
export function normalizeStripeSubscription(subscription: Stripe.Subscription, tiers: TierByPrice, stateAt: Date): RemoteSubscriptionState {
  const items = subscription.items?.data ?? [];
  const item = items[0];
  const periodEnd = items.reduce<number | null>((max, i) => (i.current_period_end && (max === null || i.current_period_end > max) ? i.current_period_end : max), null);
  const cancelAt = subscription.cancel_at ?? null;
  const price = item?.price;
  return {
    providerSubscriptionId: subscription.id,
    providerCustomerId: idOf(subscription.customer),
    userId: subscription.metadata?.user_id ?? null,
    status: stripeStatus(subscription.status),
    tier: price ? (tiers.get(price.id) ?? null) : null,
    currentPeriodEnd: cancelAt !== null && (periodEnd === null || cancelAt < periodEnd) ? new Date(cancelAt * 1000) : periodEnd === null ? null : new Date(periodEnd * 1000),
    cancelAtPeriodEnd: subscription.cancel_at_period_end || cancelAt !== null,
    amount: price?.unit_amount != null ? price.unit_amount * (item?.quantity ?? 1) : null,
    currency: (price?.currency ?? subscription.currency)?.toUpperCase() ?? null,
    stateAt,
  };
}

export class StripeProvider implements PaymentProvider {
  readonly id = Provider.STRIPE;
  readonly client: Stripe;
  readonly tiers: TierByPrice;
  private readonly priceOf: Record<Tier.PRO | Tier.TEAM, string>;

  constructor(
    readonly config: StripeConfig,
    private readonly options: { timeoutMs: number; publicUrl: string; logger: Logger },
  ) {
    this.client = new Stripe(config.secretKey, stripeClientOptions(config.apiUrl, options.timeoutMs));
    this.priceOf = { [Tier.PRO]: config.pricePro, [Tier.TEAM]: config.priceTeam };
    this.tiers = new Map([
      [config.pricePro, Tier.PRO],
      [config.priceTeam, Tier.TEAM],
    ]);
  }

  /** Runs one SDK call; any failure (timeout, network, Stripe error) is PROVIDER_ERROR, logged. */
  async call<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      const e = err as Stripe.errors.StripeError;
      this.options.logger.warn({ provider: this.id, call: what, type: e.type, code: e.code, status: e.statusCode, err: e.message }, 'Stripe call failed');
      throw providerError(this.id);
    }
  }

  async createCheckout(request: CheckoutRequest): Promise<CheckoutResult> {
    const price = this.priceOf[request.tier as Tier.PRO | Tier.TEAM];
    const session = await this.call('checkout.sessions.create', () =>
      this.client.checkout.sessions.create({
        mode: 'subscription',
        line_items: [{ price, quantity: 1 }],
        client_reference_id: request.userId,
        metadata: { user_id: request.userId, checkout_id: request.checkoutId },
        subscription_data: { metadata: { user_id: request.userId } },
        success_url: request.successUrl,
        cancel_url: request.cancelUrl,
        ...(request.customerId ? { customer: request.customerId } : { customer_email: request.email }),
      }),
    );
    if (!session.url) {
      this.options.logger.warn({ provider: this.id, session: session.id }, 'Stripe returned a Checkout Session without a URL');
      throw providerError(this.id);
    }
    return { sessionId: session.id, url: session.url, toss: null, reference: session.id };
  }

  async cancelAtPeriodEnd(ref: SubscriptionRef): Promise<RemoteSubscriptionState> {
    const subscription = await this.call('subscriptions.update', () =>
      this.client.subscriptions.update(ref.providerSubscriptionId, { cancel_at_period_end: true }),
    );
    return normalizeStripeSubscription(subscription, this.tiers, new Date());
  }

  async portalUrl(ref: SubscriptionRef): Promise<string> {
    if (!ref.providerCustomerId) throw providerError(this.id, 'This Stripe subscription has no customer to open a portal for');
    const session = await this.call('billingPortal.sessions.create', () =>
      this.client.billingPortal.sessions.create({ customer: ref.providerCustomerId!, return_url: `${this.options.publicUrl}/billing/manage` }),
    );
    return session.url;
  }

  async fetchSubscription(ref: SubscriptionRef): Promise<RemoteSubscriptionState> {
    const subscription = await this.call('subscriptions.retrieve', () => this.client.subscriptions.retrieve(ref.providerSubscriptionId));
    return normalizeStripeSubscription(subscription, this.tiers, new Date());
  }

  /** The SDK checks the signature over the raw bytes, with a 300 s tolerance on its timestamp. */
  verifyWebhook(request: WebhookRequest): VerifiedWebhook {
    const signature = headerValue(request, 'stripe-signature');
    if (!signature) throw new WebhookRejected(401, 'missing Stripe-Signature header');
    let event: Stripe.Event;
    try {
      event = this.client.webhooks.constructEvent(request.rawBody, signature, this.config.webhookSecret, STRIPE_SIGNATURE_TOLERANCE_S);
    } catch (err) {
      throw new WebhookRejected(400, `Stripe signature not verified: ${(err as Error).message}`);
    }
    if (typeof event?.id !== 'string' || typeof event.type !== 'string') throw new WebhookRejected(400, 'not a Stripe event');
    return { eventId: event.id, type: event.type, payload: event };
  }

  normalizationReadsApi(verified: VerifiedWebhook): boolean {
    // checkout.session.completed reads the subscription; charge.refunded the invoice it paid.
    return verified.type === 'checkout.session.completed' || verified.type === 'charge.refunded';
  }

  async normalizeWebhook(verified: VerifiedWebhook): Promise<NormalizedWebhook> {
    const event = verified.payload as Stripe.Event;
    const stateAt = new Date(event.created * 1000);
    switch (event.type) {
      case 'checkout.session.completed': {
        const session = event.data.object;
        const subscriptionId = idOf(session.subscription);
        if (session.mode !== 'subscription' || !subscriptionId) return ignored('not a subscription checkout');
        // The session names the subscription; its price, period and status are read from Stripe.
        const subscription = await this.call('subscriptions.retrieve', () => this.client.subscriptions.retrieve(subscriptionId));
        const state = normalizeStripeSubscription(subscription, this.tiers, stateAt);
        const userId = session.client_reference_id ?? session.metadata?.user_id ?? state.userId ?? null;
        return { kind: 'change', type: BillingEventType.SUBSCRIPTION_CREATED, state: { ...state, userId }, checkoutReference: session.id };
      }
      case 'customer.subscription.created':
      case 'customer.subscription.updated':
      case 'customer.subscription.deleted': {
        const state = normalizeStripeSubscription(event.data.object, this.tiers, stateAt);
        if (event.type === 'customer.subscription.deleted') state.status = SubscriptionStatus.EXPIRED;
        const fallback = event.type === 'customer.subscription.created' ? BillingEventType.SUBSCRIPTION_CREATED : BillingEventType.SUBSCRIPTION_UPDATED;
        return { kind: 'change', type: typeForStatus(state.status, state.cancelAtPeriodEnd, fallback), state };
      }
      case 'invoice.paid':
      case 'invoice.payment_failed': {
        const invoice = event.data.object;
        const details = invoice.parent?.subscription_details;
        const subscriptionId = idOf(details?.subscription);
        if (!subscriptionId) return ignored('not a subscription invoice');
        const paid = event.type === 'invoice.paid';
        const line = invoice.lines?.data?.[0];
        const price = idOf(line?.pricing?.price_details?.price);
        const state: RemoteSubscriptionState = {
          providerSubscriptionId: subscriptionId,
          providerCustomerId: idOf(invoice.customer),
          userId: details?.metadata?.user_id ?? null,
          tier: price ? (this.tiers.get(price) ?? null) : null,
          status: paid ? SubscriptionStatus.ACTIVE : SubscriptionStatus.PAST_DUE,
          // The new period is the line item's (the invoice's own period is the one that ended).
          ...(paid && line?.period?.end ? { currentPeriodEnd: new Date(line.period.end * 1000) } : {}),
          stateAt,
        };
        return {
          kind: 'change',
          type: paid ? BillingEventType.PAYMENT_SUCCEEDED : BillingEventType.PAYMENT_FAILED,
          state,
          amount: paid ? invoice.amount_paid : invoice.amount_due,
          currency: invoice.currency?.toUpperCase() ?? null,
        };
      }
      case 'charge.refunded':
        return this.normalizeRefund(event.data.object, stateAt);
      default:
        return ignored(`event type ${event.type} is not handled`);
    }
  }

  /** A full refund of the invoice that paid the current period ends the subscription at once. */
  private async normalizeRefund(charge: Stripe.Charge, stateAt: Date): Promise<NormalizedWebhook> {
    if (!charge.refunded || charge.amount_refunded < charge.amount) return ignored('partial refund: the subscription continues');
    const paymentIntent = idOf(charge.payment_intent);
    if (!paymentIntent) return ignored('refund of a charge without a payment intent');
    // A Charge no longer names its invoice: the invoice payment of its payment intent does.
    const payments = await this.call('invoicePayments.list', () =>
      this.client.invoicePayments.list({ payment: { type: 'payment_intent', payment_intent: paymentIntent }, limit: 1 }),
    );
    const invoiceId = idOf(payments.data[0]?.invoice);
    if (!invoiceId) return ignored('refund of a charge that paid no invoice');
    const invoice = await this.call('invoices.retrieve', () => this.client.invoices.retrieve(invoiceId));
    const subscriptionId = idOf(invoice.parent?.subscription_details?.subscription);
    const periodEnd = invoice.lines?.data?.[0]?.period?.end;
    if (!subscriptionId) return ignored('refund of a non-subscription invoice');
    if (!periodEnd || periodEnd * 1000 <= Date.now()) return ignored('refund of a past period: the current one stays paid');
    return {
      kind: 'change',
      type: BillingEventType.REFUNDED,
      state: { providerSubscriptionId: subscriptionId, status: SubscriptionStatus.EXPIRED, stateAt },
      amount: charge.amount_refunded,
      currency: charge.currency.toUpperCase(),
    };
  }
}
