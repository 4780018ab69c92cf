import type { Logger } from 'pino';
import type { LemonConfig } from '../config.js';
import { Provider, SubscriptionStatus, Tier } from '../entities/enums.js';
import { providerError } from '../errors.js';
import { ProviderHttp, asDate, asString, pick } from './http.js';
import { hmacSha256, sha256Hex, signaturesEqual } from '../crypto.js';
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
import { headerValue, ignored, parseJsonBody, typeForStatus } from './webhook.js';

/** The normalized type of each subscription_* event (its status decides CANCELED and EXPIRED). */
const SUBSCRIPTION_EVENTS: Record<string, BillingEventType> = {
  subscription_created: BillingEventType.SUBSCRIPTION_CREATED,
  subscription_updated: BillingEventType.SUBSCRIPTION_UPDATED,
  subscription_cancelled: BillingEventType.SUBSCRIPTION_CANCELED,
  subscription_resumed: BillingEventType.SUBSCRIPTION_UPDATED,
  subscription_expired: BillingEventType.SUBSCRIPTION_EXPIRED,
  subscription_paused: BillingEventType.SUBSCRIPTION_EXPIRED,
  subscription_unpaused: BillingEventType.SUBSCRIPTION_UPDATED,
};

/** Lemon Squeezy over its JSON:API (a small fetch client: the official SDK cannot change its base URL). */

export const LEMON_API_URL = 'https://api.lemonsqueezy.com';
const JSON_API = 'application/vnd.api+json';

export function lemonStatus(status: string): SubscriptionStatus {
  switch (status) {
    case 'active':
    case 'on_trial':
      return SubscriptionStatus.ACTIVE;
    case 'cancelled':
      return SubscriptionStatus.CANCELED;
    case 'past_due':
    case 'unpaid':
      return SubscriptionStatus.PAST_DUE;
    // paused, expired: not entitled.
    default:
      return SubscriptionStatus.EXPIRED;
  }
}

/** Our view of a `subscriptions` resource; `userId` comes from a webhook's meta.custom_data. */
export function normalizeLemonSubscription(resource: unknown, tiers: TierByPrice, userId: string | null = null): RemoteSubscriptionState {
  const attributes = pick(resource, 'attributes');
  const status = lemonStatus(String(pick(attributes, 'status')));
  const endsAt = asDate(pick(attributes, 'ends_at'));
  const renewsAt = asDate(pick(attributes, 'renews_at'));
  const variant = asString(pick(attributes, 'variant_id'));
  const id = asString(pick(resource, 'id'));
  const updatedAt = asDate(pick(attributes, 'updated_at'));
  if (!id || !updatedAt) throw new Error('Lemon Squeezy subscription without id or updated_at');
  return {
    providerSubscriptionId: id,
    providerCustomerId: asString(pick(attributes, 'customer_id')),
    userId,
    status,
    tier: variant ? (tiers.get(variant) ?? null) : null,
    currentPeriodEnd: status === SubscriptionStatus.CANCELED || status === SubscriptionStatus.EXPIRED ? (endsAt ?? renewsAt) : (renewsAt ?? endsAt),
    cancelAtPeriodEnd: pick(attributes, 'cancelled') === true || status === SubscriptionStatus.CANCELED,
    stateAt: updatedAt,
  };
}

export class LemonSqueezyProvider implements PaymentProvider {
  readonly id = Provider.LEMON_SQUEEZY;
  readonly tiers: TierByPrice;
  private readonly http: ProviderHttp;
  private readonly variantOf: Record<Tier.PRO | Tier.TEAM, string>;

  constructor(readonly config: LemonConfig, options: { timeoutMs: number; logger: Logger }) {
    this.http = new ProviderHttp({
      provider: this.id,
      baseUrl: config.apiUrl ?? LEMON_API_URL,
      timeoutMs: options.timeoutMs,
      logger: options.logger,
      headers: { accept: JSON_API, 'content-type': JSON_API, authorization: `Bearer ${config.apiKey}` },
    });
    this.variantOf = { [Tier.PRO]: config.variantPro, [Tier.TEAM]: config.variantTeam };
    this.tiers = new Map([
      [config.variantPro, Tier.PRO],
      [config.variantTeam, Tier.TEAM],
    ]);
  }

  async createCheckout(request: CheckoutRequest): Promise<CheckoutResult> {
    const body = await this.http.expectOk('POST', '/v1/checkouts', {
      data: {
        type: 'checkouts',
        attributes: {
          checkout_data: { email: request.email, custom: { user_id: request.userId } },
          product_options: { redirect_url: request.successUrl },
        },
        relationships: {
          store: { data: { type: 'stores', id: this.config.storeId } },
          variant: { data: { type: 'variants', id: this.variantOf[request.tier as Tier.PRO | Tier.TEAM] } },
        },
      },
    });
    const id = asString(pick(body, 'data', 'id'));
    const url = asString(pick(body, 'data', 'attributes', 'url'));
    if (!id || !url) throw providerError(this.id);
    return { sessionId: id, url, toss: null, reference: id };
  }

  private async getSubscription(id: string): Promise<unknown> {
    return pick(await this.http.expectOk('GET', `/v1/subscriptions/${encodeURIComponent(id)}`), 'data');
  }

  async cancelAtPeriodEnd(ref: SubscriptionRef): Promise<RemoteSubscriptionState> {
    const body = await this.http.expectOk('DELETE', `/v1/subscriptions/${encodeURIComponent(ref.providerSubscriptionId)}`);
    return normalizeLemonSubscription(pick(body, 'data'), this.tiers);
  }

  /** The signed portal URL expires, so it is fetched fresh every time. */
  async portalUrl(ref: SubscriptionRef): Promise<string> {
    const url = asString(pick(await this.getSubscription(ref.providerSubscriptionId), 'attributes', 'urls', 'customer_portal'));
    if (!url) throw providerError(this.id);
    return url;
  }

  async fetchSubscription(ref: SubscriptionRef): Promise<RemoteSubscriptionState> {
    return normalizeLemonSubscription(await this.getSubscription(ref.providerSubscriptionId), this.tiers);
  }

  /** `X-Signature`: hex HMAC-SHA256 of the raw body, compared in constant time after a length check. */
  verifyWebhook(request: WebhookRequest): VerifiedWebhook {
    const signature = headerValue(request, 'x-signature');
    if (!signature) throw new WebhookRejected(401, 'missing X-Signature header');
    if (!signaturesEqual(signature.toLowerCase(), hmacSha256(this.config.webhookSecret, request.rawBody, 'hex'))) {
      throw new WebhookRejected(400, 'Lemon Squeezy signature does not match');
    }
    const body = parseJsonBody(request.rawBody);
    const type = asString(pick(body, 'meta', 'event_name'));
    if (!type) throw new WebhookRejected(400, 'no meta.event_name');
    // Lemon Squeezy sends no event id: the body's digest is one (a retry sends the same bytes).
    return { eventId: sha256Hex(request.rawBody.toString('utf8')), type, payload: body };
  }

  normalizationReadsApi(verified: VerifiedWebhook): boolean {
    // An order names no subscription: normalizeOrderRefund looks it up.
    return verified.type === 'order_refunded';
  }

  async normalizeWebhook(verified: VerifiedWebhook): Promise<NormalizedWebhook> {
    const data = pick(verified.payload, 'data');
    const attributes = pick(data, 'attributes');
    const userId = asString(pick(verified.payload, 'meta', 'custom_data', 'user_id'));
    const subscriptionType = SUBSCRIPTION_EVENTS[verified.type];
    if (subscriptionType) {
      if (pick(data, 'type') !== 'subscriptions') throw new WebhookRejected(400, `${verified.type} without a subscriptions resource`);
      const state = normalizeLemonSubscription(data, this.tiers, userId);
      return { kind: 'change', type: typeForStatus(state.status, state.cancelAtPeriodEnd, subscriptionType), state };
    }
    if (verified.type === 'order_refunded') return this.normalizeOrderRefund(data, attributes);
    if (!verified.type.startsWith('subscription_payment_')) return ignored(`event ${verified.type} is not handled`);
    const subscriptionId = asString(pick(attributes, 'subscription_id'));
    const stateAt = asDate(pick(attributes, 'updated_at'));
    if (!subscriptionId || !stateAt) throw new WebhookRejected(400, `${verified.type} without subscription_id or updated_at`);
    const money = { amount: Number(pick(attributes, 'total')), currency: asString(pick(attributes, 'currency')) };
    const base = { providerSubscriptionId: subscriptionId, providerCustomerId: asString(pick(attributes, 'customer_id')), userId, stateAt };
    switch (verified.type) {
      case 'subscription_payment_success':
      case 'subscription_payment_recovered':
        return { kind: 'change', type: BillingEventType.PAYMENT_SUCCEEDED, state: { ...base, status: SubscriptionStatus.ACTIVE }, ...money };
      case 'subscription_payment_failed':
        return { kind: 'change', type: BillingEventType.PAYMENT_FAILED, state: { ...base, status: SubscriptionStatus.PAST_DUE }, ...money };
      case 'subscription_payment_refunded': {
        const refunded = fullRefund(attributes);
        if (refunded === null) return ignored('partial refund: the subscription continues');
        return {
          kind: 'change',
          type: BillingEventType.REFUNDED,
          state: { ...base, status: SubscriptionStatus.EXPIRED },
          amount: refunded,
          currency: money.currency,
        };
      }
      default:
        return ignored(`event ${verified.type} is not handled`);
    }
  }

  /**
   * `order_refunded`: an order names no subscription, so the subscription created from it is looked
   * up (`GET /v1/subscriptions?filter[order_id]=`). The order is a subscription's first payment; a
   * full refund of it ends the subscription at once while that payment still covers the current
   * period (the subscription has not renewed since: every plan is monthly).
   */
  private async normalizeOrderRefund(order: unknown, attributes: unknown): Promise<NormalizedWebhook> {
    const refunded = fullRefund(attributes);
    if (refunded === null) return ignored('partial refund: the subscription continues');
    const orderId = asString(pick(order, 'id'));
    const stateAt = asDate(pick(attributes, 'refunded_at')) ?? asDate(pick(attributes, 'updated_at'));
    if (!orderId || !stateAt) throw new WebhookRejected(400, 'order_refunded without id or refunded_at');
    const list = await this.http.expectOk('GET', `/v1/subscriptions?filter%5Border_id%5D=${encodeURIComponent(orderId)}`);
    const subscription = pick(list, 'data', 0);
    const subscriptionId = asString(pick(subscription, 'id'));
    if (!subscriptionId) return ignored('refund of an order that created no subscription');
    const orderedAt = asDate(pick(attributes, 'created_at'));
    const renewsAt = asDate(pick(subscription, 'attributes', 'renews_at'));
    if (orderedAt && renewsAt && renewsAt.getTime() - orderedAt.getTime() > ONE_PERIOD_MS) return ignored('refund of a past period: the current one stays paid');
    return {
      kind: 'change',
      type: BillingEventType.REFUNDED,
      state: { providerSubscriptionId: subscriptionId, status: SubscriptionStatus.EXPIRED, stateAt },
      amount: refunded,
      currency: asString(pick(attributes, 'currency')),
    };
  }
}

/** The refunded amount of a payment or order refunded in full; null for a partial refund. */
function fullRefund(attributes: unknown): number | null {
  const total = Number(pick(attributes, 'total'));
  const refunded = Number(pick(attributes, 'refunded_amount'));
  return refunded >= total && total > 0 ? refunded : null;
}

/** The longest monthly period (31 days), with a day of slack for time zones and renewal timing. */
const ONE_PERIOD_MS = 32 * 86_400_000;
