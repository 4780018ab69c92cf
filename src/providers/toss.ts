import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { TossConfig } from '../config.js';
import { Provider, SubscriptionStatus } from '../entities/enums.js';
import { providerError } from '../errors.js';
import { ProviderHttp, asDate, asString, pick } from './http.js';
import { SharedReads } from './shared-reads.js';
import {
  WebhookRejected,
  WebhookRetryLater,
  WebhookSecretMissing,
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

/**
 * TossPayments card auto-billing (API version 2022-11-16) over a small fetch client with Basic auth
 * (`secretKey:`). Toss has no subscriptions: the browser SDK authorizes a card for a customerKey,
 * we exchange the authKey for a billing key and charge it each period ourselves.
 */

export const TOSS_API_URL = 'https://api.tosspayments.com';

export interface TossPaymentView {
  paymentKey: string;
  orderId: string;
  status: string;
  totalAmount: number;
  balanceAmount: number;
  approvedAt: Date | null;
}

export type TossChargeResult =
  | { kind: 'DONE'; payment: TossPaymentView }
  /** The card company or Toss refused this charge; the order id is not used up. */
  | { kind: 'DECLINED'; code: string; message: string }
  /** This order id was already approved (an earlier attempt went through). */
  | { kind: 'DUPLICATE_ORDER' };

/** A 4xx answer from Toss other than a decline, e.g. an unknown authKey. */
export class TossRequestError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
    this.name = 'TossRequestError';
  }
}

/** An unsigned event's body is the Payment object, a few KB; anything much larger is not Toss's. */
export const UNSIGNED_BODY_LIMIT = 16 * 1024;
/** How long one read of a payment answers every delivery that names it (docs/security.md). */
const PAYMENT_READ_SHARED_MS = 10_000;
/** Toss's event types; an unsigned event of any other type is stored under UNKNOWN, its name unkept. */
const TOSS_EVENT_TYPES = new Set(['PAYMENT_STATUS_CHANGED', 'DEPOSIT_CALLBACK', 'CANCEL_STATUS_CHANGED', 'BILLING_DELETED', 'METHOD_UPDATED', 'CUSTOMER_STATUS_CHANGED', 'payout.changed', 'seller.changed']);

/** Answers that say our credentials are wrong: a configuration problem, never the customer's card. */
const AUTH_CODES = new Set(['UNAUTHORIZED_KEY', 'INCORRECT_BASIC_AUTH_FORMAT']);

function paymentView(body: unknown): TossPaymentView {
  const paymentKey = asString(pick(body, 'paymentKey'));
  const orderId = asString(pick(body, 'orderId'));
  if (!paymentKey || !orderId) throw new Error('Toss payment without paymentKey or orderId');
  return {
    paymentKey,
    orderId,
    status: String(pick(body, 'status')),
    totalAmount: Number(pick(body, 'totalAmount')),
    balanceAmount: Number(pick(body, 'balanceAmount')),
    approvedAt: asDate(pick(body, 'approvedAt')),
  };
}

export class TossProvider implements PaymentProvider {
  readonly id = Provider.TOSS;
  private readonly http: ProviderHttp;
  /** Reads of payments for webhook events, one in flight per paymentKey and shared briefly. */
  private readonly paymentReads = new SharedReads<TossPaymentView | null>(PAYMENT_READ_SHARED_MS, 10_000);

  constructor(
    readonly config: TossConfig,
    private readonly options: { timeoutMs: number; publicUrl: string; logger: Logger },
  ) {
    this.http = new ProviderHttp({
      provider: this.id,
      baseUrl: config.apiUrl ?? TOSS_API_URL,
      timeoutMs: options.timeoutMs,
      logger: options.logger,
      headers: { authorization: `Basic ${Buffer.from(`${config.secretKey}:`).toString('base64')}`, 'content-type': 'application/json' },
    });
  }

  /** No API call: the browser SDK authorizes the card for a fresh customerKey bound to our checkout. */
  async createCheckout(request: CheckoutRequest): Promise<CheckoutResult> {
    const customerKey = `cus_${randomBytes(24).toString('base64url')}`;
    return {
      sessionId: request.checkoutId,
      url: null,
      reference: customerKey,
      toss: {
        clientKey: this.config.clientKey,
        customerKey,
        amount: request.amount,
        orderName: `Stellar Memory ${request.planName} (monthly)`,
        successUrl: request.successUrl,
        failUrl: request.cancelUrl,
      },
    };
  }

  /** Exchanges a one-time authKey for the customer's billing key. */
  async issueBillingKey(authKey: string, customerKey: string): Promise<string> {
    const response = await this.http.request('POST', '/v1/billing/authorizations/issue', { authKey, customerKey });
    const billingKey = asString(pick(response.body, 'billingKey'));
    if (response.status === 200 && billingKey) return billingKey;
    throw this.refusal(response.status, response.body);
  }

  /**
   * Charges a billing key. The order id is what makes a charge happen at most once (Toss refuses an
   * approved order id again); the idempotency key makes a retried request replay its first answer.
   */
  async charge(
    billingKey: string,
    charge: { customerKey: string; amount: number; orderId: string; orderName: string },
    idempotencyKey: string,
  ): Promise<TossChargeResult> {
    const response = await this.http.request('POST', `/v1/billing/${encodeURIComponent(billingKey)}`, charge, { 'idempotency-key': idempotencyKey });
    if (response.status === 200) return { kind: 'DONE', payment: paymentView(response.body) };
    const code = String(pick(response.body, 'code') ?? '');
    const message = String(pick(response.body, 'message') ?? '');
    if (code === 'DUPLICATED_ORDER_ID') return { kind: 'DUPLICATE_ORDER' };
    if (AUTH_CODES.has(code) || response.status === 401) throw this.refusal(response.status, response.body);
    // Any other refusal (card rejected, billing key no longer valid, ...) charged nothing.
    this.options.logger.info({ provider: this.id, status: response.status, code }, 'TossPayments declined a charge');
    return { kind: 'DECLINED', code, message };
  }

  async getPayment(paymentKey: string): Promise<TossPaymentView | null> {
    return this.readPayment(`/v1/payments/${encodeURIComponent(paymentKey)}`);
  }

  async getPaymentByOrderId(orderId: string): Promise<TossPaymentView | null> {
    return this.readPayment(`/v1/payments/orders/${encodeURIComponent(orderId)}`);
  }

  private async readPayment(path: string): Promise<TossPaymentView | null> {
    const response = await this.http.request('GET', path);
    if (response.status === 404) return null;
    if (response.status !== 200) throw this.refusal(response.status, response.body);
    return paymentView(response.body);
  }

  /** We renew, so cancelling is only ours to record: nothing to tell Toss. */
  async cancelAtPeriodEnd(): Promise<null> {
    return null;
  }

  async portalUrl(): Promise<string> {
    return `${this.options.publicUrl}/billing/manage`;
  }

  /**
   * Toss keeps payments, not plans: its view of a subscription is the payment of the newest paid
   * period. A fully cancelled (refunded) payment ends the subscription; anything else says nothing.
   */
  async fetchSubscription(ref: SubscriptionRef): Promise<RemoteSubscriptionState> {
    const stateAt = new Date();
    if (!ref.latestOrderId) return { providerSubscriptionId: ref.providerSubscriptionId, stateAt };
    const payment = await this.getPaymentByOrderId(ref.latestOrderId);
    const refunded = payment?.status === 'CANCELED';
    return { providerSubscriptionId: ref.providerSubscriptionId, stateAt, ...(refunded ? { status: SubscriptionStatus.EXPIRED } : {}) };
  }

  /**
   * Toss signs only its payout and seller events (`tosspayments-webhook-signature`: `v1:` and base64
   * HMAC-SHA256 values of `${rawBody}:${transmissionTime}`, any of which may match). Payment events
   * are unsigned: nothing in them is believed, `normalizeWebhook` reads the payment back from Toss.
   */
  verifyWebhook(request: WebhookRequest): VerifiedWebhook {
    const transmissionId = headerValue(request, 'tosspayments-webhook-transmission-id');
    if (!transmissionId || transmissionId.length > 255) throw new WebhookRejected(400, 'missing tosspayments-webhook-transmission-id header');
    const signature = headerValue(request, 'tosspayments-webhook-signature');
    if (signature === undefined) return this.unsignedEvent(transmissionId, request.rawBody);
    if (!this.config.webhookSecret) throw new WebhookSecretMissing('a signed Toss event arrived but TOSS_WEBHOOK_SECRET is not set');
    const time = headerValue(request, 'tosspayments-webhook-transmission-time');
    if (!time) throw new WebhookRejected(401, 'missing tosspayments-webhook-transmission-time header');
    const expected = hmacSha256(this.config.webhookSecret, `${request.rawBody.toString('utf8')}:${time}`, 'base64');
    const given = signature.startsWith('v1:') ? signature.slice(3).split(',') : [];
    if (!given.some((value) => signaturesEqual(value.trim(), expected))) throw new WebhookRejected(400, 'Toss signature does not match');
    const body = parseJsonBody(request.rawBody);
    const type = asString(pick(body, 'eventType'));
    if (!type) throw new WebhookRejected(400, 'no eventType');
    return { eventId: transmissionId, type, payload: body };
  }

  /**
   * An unsigned event proves nothing: of its body only the event type (when it is one of Toss's)
   * and the paymentKey are kept, the rest is never stored; a body larger than any real one is refused.
   */
  private unsignedEvent(transmissionId: string, rawBody: Buffer): VerifiedWebhook {
    if (rawBody.length > UNSIGNED_BODY_LIMIT) throw new WebhookRejected(413, `an unsigned Toss event is at most ${UNSIGNED_BODY_LIMIT} bytes`);
    const body = parseJsonBody(rawBody);
    const claimed = asString(pick(body, 'eventType'));
    if (!claimed) throw new WebhookRejected(400, 'no eventType');
    const type = TOSS_EVENT_TYPES.has(claimed) ? claimed : 'UNKNOWN';
    const paymentKey = asString(pick(body, 'data', 'paymentKey'));
    const data = paymentKey && paymentKey.length <= 200 ? { paymentKey } : {};
    return { eventId: transmissionId, type, payload: { eventType: type, data }, unsigned: true };
  }

  normalizationReadsApi(verified: VerifiedWebhook): boolean {
    // A payment event's body is not believed: the payment is read back.
    return verified.type === 'PAYMENT_STATUS_CHANGED';
  }

  async normalizeWebhook(verified: VerifiedWebhook): Promise<NormalizedWebhook> {
    if (verified.type !== 'PAYMENT_STATUS_CHANGED') return ignored(`event ${verified.type} is not handled`);
    const paymentKey = asString(pick(verified.payload, 'data', 'paymentKey'));
    if (!paymentKey || paymentKey.length > 200) throw new WebhookRejected(400, 'PAYMENT_STATUS_CHANGED without data.paymentKey');
    const stateAt = new Date();
    // The truth is what the Toss API says about this payment now, not what the body claims. Copies
    // of one event share one read; an answer this delivery did not ask for itself may predate the
    // change the event announces, so only a final one (a full cancellation) is acted on.
    const read = this.paymentReads.read(paymentKey, () => this.getPayment(paymentKey));
    let payment: TossPaymentView | null;
    try {
      payment = await read.promise;
    } catch (err) {
      if (read.own) throw err;
      throw new WebhookRetryLater('the Toss API failed moments ago for this payment; deliver again later');
    }
    if (!payment) throw new WebhookRejected(400, 'Toss does not know this payment');
    if (!read.own && payment.status !== 'CANCELED') throw new WebhookRetryLater('this payment was read moments ago for another delivery; deliver again later');
    return { kind: 'payment', orderId: payment.orderId, paymentKey: payment.paymentKey, status: payment.status, totalAmount: payment.totalAmount, balanceAmount: payment.balanceAmount, stateAt };
  }

  private refusal(status: number, body: unknown): Error {
    const code = String(pick(body, 'code') ?? 'UNKNOWN');
    this.options.logger.warn({ provider: this.id, status, code, message: pick(body, 'message') }, 'TossPayments refused the request');
    if (status === 401 || AUTH_CODES.has(code)) return providerError(this.id);
    return new TossRequestError(status, code, String(pick(body, 'message') ?? code));
  }
}
