import { randomBytes } from 'node:crypto';
import { Provider, SubscriptionStatus, Tier } from '../entities/enums.js';
import { asDate, asString, pick } from './http.js';
import {
  BillingEventType,
  WebhookRejected,
  type CheckoutRequest,
  type CheckoutResult,
  type NormalizedWebhook,
  type PaymentProvider,
  type RemoteSubscriptionState,
  type SubscriptionRef,
  type VerifiedWebhook,
  type WebhookRequest,
} from './types.js';
import { hmacSha256, signaturesEqual } from '../crypto.js';
import { headerValue, ignored, parseJsonBody } from './webhook.js';

/** The header of a demo event's signature: hex HMAC-SHA256 of the raw body. */
const DEMO_SIGNATURE_HEADER = 'x-demo-signature';

/** What the demo checkout page pays for; the page's server builds it from the stored checkout. */
export interface DemoPayment {
  checkoutId: string;
  userId: string;
  tier: Tier;
  amount: number;
  currency: string;
  currentPeriodEnd: Date;
}

/**
 * The demo provider (never in production): its checkout is a local page that completes the payment
 * without money by sending this server a signed demo webhook, which goes through the same ingest
 * path as the real providers' events. The signing key is made at start and never leaves the process,
 * so only this process can sign (the page posts to its own process). Like Toss it keeps no
 * subscriptions of its own, so cancelling is ours to record.
 */
export class DemoProvider implements PaymentProvider {
  readonly id = Provider.DEMO;
  private readonly secret = randomBytes(32).toString('hex');

  constructor(private readonly options: { publicUrl: string }) {}

  async createCheckout(request: CheckoutRequest): Promise<CheckoutResult> {
    return { sessionId: request.checkoutId, url: `${this.options.publicUrl}/billing/demo/${request.checkoutId}`, toss: null, reference: request.checkoutId };
  }

  async cancelAtPeriodEnd(): Promise<null> {
    return null;
  }

  async portalUrl(): Promise<string> {
    return `${this.options.publicUrl}/billing/manage`;
  }

  /** Nothing to compare with: the demo provider's state is ours. */
  async fetchSubscription(ref: SubscriptionRef): Promise<RemoteSubscriptionState> {
    return { providerSubscriptionId: ref.providerSubscriptionId, stateAt: new Date() };
  }

  /** The signed `checkout.completed` event for a paid demo checkout: its body and headers. */
  signedPaymentEvent(payment: DemoPayment): { body: string; headers: Record<string, string> } {
    const body = JSON.stringify({
      id: `demo_evt_${payment.checkoutId}`,
      type: 'checkout.completed',
      created: new Date().toISOString(),
      data: { ...payment, currentPeriodEnd: payment.currentPeriodEnd.toISOString() },
    });
    return { body, headers: { 'content-type': 'application/json', [DEMO_SIGNATURE_HEADER]: hmacSha256(this.secret, body, 'hex') } };
  }

  verifyWebhook(request: WebhookRequest): VerifiedWebhook {
    const signature = headerValue(request, DEMO_SIGNATURE_HEADER);
    if (!signature) throw new WebhookRejected(401, `missing ${DEMO_SIGNATURE_HEADER} header`);
    if (!signaturesEqual(signature, hmacSha256(this.secret, request.rawBody, 'hex'))) throw new WebhookRejected(400, 'demo signature does not match');
    const body = parseJsonBody(request.rawBody);
    const eventId = asString(body.id);
    const type = asString(body.type);
    if (!eventId || !type) throw new WebhookRejected(400, 'demo event without id or type');
    return { eventId, type, payload: body };
  }

  normalizationReadsApi(): boolean {
    return false;
  }

  async normalizeWebhook(verified: VerifiedWebhook): Promise<NormalizedWebhook> {
    if (verified.type !== 'checkout.completed') return ignored(`event ${verified.type} is not handled`);
    const data = pick(verified.payload, 'data');
    const checkoutId = asString(pick(data, 'checkoutId'));
    const tier = asString(pick(data, 'tier')) as Tier | null;
    const stateAt = asDate(pick(verified.payload, 'created'));
    if (!checkoutId || !tier || !stateAt) throw new WebhookRejected(400, 'incomplete demo event');
    const money = { amount: Number(pick(data, 'amount')), currency: asString(pick(data, 'currency')) };
    return {
      kind: 'change',
      type: BillingEventType.SUBSCRIPTION_CREATED,
      state: {
        providerSubscriptionId: `demo_${checkoutId}`,
        userId: asString(pick(data, 'userId')),
        tier,
        status: SubscriptionStatus.ACTIVE,
        currentPeriodEnd: asDate(pick(data, 'currentPeriodEnd')),
        cancelAtPeriodEnd: false,
        ...money,
        stateAt,
      },
      ...money,
      checkoutReference: checkoutId,
    };
  }
}
