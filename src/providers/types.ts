import type { Provider, SubscriptionStatus, Tier } from '../entities/enums.js';

/**
 * The one interface every payment provider implements (docs/billing.md). A provider translates its own API
 * to these shapes and knows nothing of users or tiers beyond the ids it is handed and the
 * price/variant → tier map it was built with.
 */

export interface CheckoutRequest {
  /** Our checkout id (the row written once the provider accepted the checkout). */
  checkoutId: string;
  userId: string;
  email: string;
  tier: Tier;
  /** The plan's name and its price for this provider (from the plan table). */
  planName: string;
  amount: number;
  currency: string;
  successUrl: string;
  cancelUrl: string;
  /** The provider's customer to reuse, when one is known for this user. */
  customerId: string | null;
}

export interface TossCheckoutPayload {
  clientKey: string;
  customerKey: string;
  amount: number;
  orderName: string;
  successUrl: string;
  failUrl: string;
}

export interface CheckoutResult {
  /** The provider's own id of what it created (Stripe session, Lemon checkout); ours for Toss and Demo. */
  sessionId: string;
  /** Where the buyer pays; null for Toss (the browser SDK takes over). */
  url: string | null;
  toss: TossCheckoutPayload | null;
  /** What identifies this checkout at the provider, unique per provider (Toss: the customerKey). */
  reference: string;
}

/** What a provider needs to find one of its subscriptions. */
export interface SubscriptionRef {
  providerSubscriptionId: string;
  providerCustomerId: string | null;
  /** Toss: the order id of the newest paid period, whose payment is the provider's only record. */
  latestOrderId?: string | null;
}

/**
 * A subscription as the provider sees it. A field left undefined is one the provider has no
 * opinion on (Toss knows payments, not plans); `stateAt` is the provider time of this state.
 */
export interface RemoteSubscriptionState {
  providerSubscriptionId: string;
  providerCustomerId?: string | null;
  /** Our user id as we gave it to the provider at checkout (Stripe metadata, Lemon custom data). */
  userId?: string | null;
  status?: SubscriptionStatus;
  /** From the configured price or variant id; null when the id is not one of ours. */
  tier?: Tier | null;
  currentPeriodEnd?: Date | null;
  cancelAtPeriodEnd?: boolean;
  amount?: number | null;
  currency?: string | null;
  stateAt: Date;
}

/** Normalized event types (docs/billing.md): what a provider event means for a subscription. */
export const BillingEventType = {
  SUBSCRIPTION_CREATED: 'SUBSCRIPTION_CREATED',
  SUBSCRIPTION_UPDATED: 'SUBSCRIPTION_UPDATED',
  SUBSCRIPTION_CANCELED: 'SUBSCRIPTION_CANCELED',
  SUBSCRIPTION_EXPIRED: 'SUBSCRIPTION_EXPIRED',
  PAYMENT_SUCCEEDED: 'PAYMENT_SUCCEEDED',
  PAYMENT_FAILED: 'PAYMENT_FAILED',
  REFUNDED: 'REFUNDED',
} as const;
export type BillingEventType = (typeof BillingEventType)[keyof typeof BillingEventType];

/** A webhook as received: the raw bytes (signatures are over them) and the headers. */
export interface WebhookRequest {
  rawBody: Buffer;
  headers: Record<string, string | string[] | undefined>;
  /** The sender's address (src/http/client-ip.ts), for the per-IP limit of unsigned events. */
  clientIp?: string;
}

/** A webhook whose origin is proven (or, for Toss payment events, that will be checked against the API). */
export interface VerifiedWebhook {
  /** Unique per provider: Stripe's event id, the SHA-256 of a Lemon Squeezy body, Toss's transmission id. */
  eventId: string;
  /** The provider's own event type, e.g. `invoice.paid`. */
  type: string;
  /** The parsed JSON body; for an unsigned event only what may be stored of it (docs/security.md). */
  payload: unknown;
  /** Nothing proves who sent it (Toss payment events): limited per client IP before anything else. */
  unsigned?: boolean;
}

/** Refused before anything is stored: bad or missing signature, unparsable body, forged facts, an unsigned body too large. */
export class WebhookRejected extends Error {
  constructor(readonly status: 400 | 401 | 413, message: string) {
    super(message);
    this.name = 'WebhookRejected';
  }
}

/** Thrown by verifyWebhook when the provider's webhook secret is not configured: answered 503. */
export class WebhookSecretMissing extends Error {}

/**
 * The event cannot be acted on from what is known now (e.g. the provider's answer was shared with
 * another delivery moments ago and may predate this event): answered 503 with nothing stored, so the
 * provider delivers it again later.
 */
export class WebhookRetryLater extends Error {}

/**
 * What a verified event means. `change`: a new state of one subscription. `payment`: a Toss payment
 * as read back from the Toss API (Toss knows payments, not subscriptions: the service finds whose it
 * is). `ignored`: recorded, nothing to apply.
 */
export type NormalizedWebhook =
  | {
      kind: 'change';
      type: BillingEventType;
      state: RemoteSubscriptionState;
      /** Money this event moved (a payment, a refund), in the currency's minor unit. */
      amount?: number | null;
      currency?: string | null;
      /** Our checkout this event completes (its provider reference: Stripe session id, demo checkout id). */
      checkoutReference?: string | null;
    }
  | { kind: 'payment'; orderId: string; paymentKey: string; status: string; totalAmount: number; balanceAmount: number; stateAt: Date }
  | { kind: 'ignored'; reason: string };

export interface PaymentProvider {
  readonly id: Provider;
  createCheckout(request: CheckoutRequest): Promise<CheckoutResult>;
  /**
   * Stops renewal at the end of the paid period. Returns the provider's resulting state, or null
   * when there is nothing to tell the provider (Toss, Demo: we are the ones who renew).
   */
  cancelAtPeriodEnd(ref: SubscriptionRef): Promise<RemoteSubscriptionState | null>;
  /** A URL where the customer manages payment details and the plan. */
  portalUrl(ref: SubscriptionRef): Promise<string>;
  /** The provider's current view of a subscription (reconciliation). */
  fetchSubscription(ref: SubscriptionRef): Promise<RemoteSubscriptionState>;
  /**
   * Proves a webhook came from the provider (signature over the raw bytes) and names it; throws
   * WebhookRejected otherwise. No network: nothing is trusted yet.
   */
  verifyWebhook(request: WebhookRequest): VerifiedWebhook;
  /**
   * What a verified event means, in normalized terms. May read the provider's API (Toss payments,
   * the subscription behind a Stripe checkout); a payload that turns out forged throws WebhookRejected.
   */
  normalizeWebhook(event: VerifiedWebhook): Promise<NormalizedWebhook>;
  /**
   * Whether `normalizeWebhook(event)` may call the provider's API. The ingest service checks the
   * ledger for a settled redelivery before those (and only those): the check costs a round trip,
   * and for the others the claim inside the event's transaction answers a duplicate just as well.
   */
  normalizationReadsApi(event: VerifiedWebhook): boolean;
}

/** Maps the configured price or variant ids to tiers; anything else is not ours. */
export type TierByPrice = ReadonlyMap<string, Tier>;
