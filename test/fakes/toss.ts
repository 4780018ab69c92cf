// Loopback fake of the TossPayments core API (version 2022-11-16) for card auto-billing, and
// builders for its webhooks. Sources: docs.tosspayments.com (API reference, error codes, webhook
// guide) and Toss staff answers on techchat.tosspayments.com.
//
// - Auth: `Authorization: Basic base64(secretKey + ':')`. A wrong key answers 401
//   UNAUTHORIZED_KEY; a decoded value without ':' answers 401 INCORRECT_BASIC_AUTH_FORMAT.
// - Errors are always { code, message } with the status from Toss's error-code table.
// - orderId is unique per merchant: charging an orderId that was already approved answers
//   400 DUPLICATED_ORDER_ID and charges nothing. A declined attempt does not consume the orderId.
// - `Idempotency-Key`: a repeated key returns the first response unchanged (Toss keeps keys for
//   15 days; the fake keeps them for its lifetime).
// - An unknown or already used authKey answers 404 NOT_FOUND_BILLING ("존재하지 않는 빌링 결제 인증 정보
//   입니다."): the closest code in Toss's table; the table does not say which code the issue
//   endpoint uses for this case.
//
// Webhooks (docs.tosspayments.com/guides/webhook, .../reference/using-api/webhook-events):
// - Body: { eventType, createdAt, data } where createdAt is KST local time
//   yyyy-MM-dd'T'HH:mm:ss.SSSSSS and, for PAYMENT_STATUS_CHANGED, data is the Payment object.
// - Only HTTP 200 counts as delivered; Toss retries up to 7 times (1, 4, 16, 64, 256, 1024, 4096 min).
// - Headers: tosspayments-webhook-transmission-id (unique per event, stable across retries),
//   tosspayments-webhook-transmission-time, tosspayments-webhook-transmission-retried-count.
// - Payment events (PAYMENT_STATUS_CHANGED, DEPOSIT_CALLBACK, BILLING_DELETED, ...) are NOT signed.
//   Only payout.changed and seller.changed carry `tosspayments-webhook-signature`, verified as:
//   HMAC-SHA256 with the webhook security key over `${rawBody}:${transmissionTime}`, compared with
//   each base64 value of the header `v1:<sig>,<sig>` (either may match; two are sent so keys can
//   rotate). Toss does not document the transmission-id format; the fake uses `wh_` + 32 hex.
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { startFakeServer, type FakeReply, type FakeServer, type RecordedRequest, type Route } from './http.js';

export type TossPaymentStatus =
  | 'READY'
  | 'IN_PROGRESS'
  | 'WAITING_FOR_DEPOSIT'
  | 'DONE'
  | 'CANCELED'
  | 'PARTIAL_CANCELED'
  | 'ABORTED'
  | 'EXPIRED';

export interface TossCard {
  issuerCode: string;
  acquirerCode: string;
  number: string;
  cardType: string;
  ownerType: string;
}

export interface TossBilling {
  mId: string;
  customerKey: string;
  authenticatedAt: string;
  method: string;
  billingKey: string;
  card: TossCard;
  cardCompany: string;
  cardNumber: string;
}

export interface TossCancel {
  transactionKey: string;
  cancelReason: string;
  taxExemptionAmount: number;
  canceledAt: string;
  easyPayDiscountAmount: number;
  receiptKey: string | null;
  cancelAmount: number;
  taxFreeAmount: number;
  refundableAmount: number;
  cancelStatus: string;
  cancelRequestId: string | null;
}

export interface TossPayment {
  mId: string;
  lastTransactionKey: string;
  paymentKey: string;
  orderId: string;
  orderName: string;
  taxExemptionAmount: number;
  status: TossPaymentStatus;
  requestedAt: string;
  approvedAt: string | null;
  useEscrow: boolean;
  cultureExpense: boolean;
  card: TossCard & {
    amount: number;
    installmentPlanMonths: number;
    isInterestFree: boolean;
    interestPayer: string | null;
    approveNo: string;
    useCardPoint: boolean;
    acquireStatus: string;
  };
  virtualAccount: null;
  transfer: null;
  mobilePhone: null;
  giftCertificate: null;
  cashReceipt: null;
  cashReceipts: null;
  discount: null;
  cancels: TossCancel[] | null;
  secret: null;
  type: 'BILLING';
  easyPay: null;
  country: 'KR';
  failure: { code: string; message: string } | null;
  isPartialCancelable: boolean;
  receipt: { url: string };
  checkout: { url: string };
  currency: 'KRW';
  totalAmount: number;
  balanceAmount: number;
  suppliedAmount: number;
  vat: number;
  taxFreeAmount: number;
  method: '카드';
  version: '2022-11-16';
  metadata: null;
}

export interface TossWebhookEvent<T> {
  eventType: string;
  createdAt: string;
  data: T;
}

export interface StartFakeTossOptions {
  secretKey: string;
  mId?: string;
}

export interface FakeToss extends FakeServer {
  /** Successful charges, in order; reset() empties it, the payments stay retrievable. */
  readonly charges: TossPayment[];
  readonly billings: Map<string, TossBilling>;
  /** Registers a one-time authKey, as the browser SDK's billing authorization would produce. */
  authorize(customerKey: string): string;
  /** The next charge (any billing key) fails with this code. */
  declineNext(code?: string, message?: string): void;
  /** Every charge on this billing key fails with this code until reset(). */
  declineBillingKey(billingKey: string, code?: string, message?: string): void;
  /** Changes what the API answers for a payment, e.g. to tell a forged webhook body from the truth. */
  setPaymentStatus(paymentKey: string, status: TossPaymentStatus): TossPayment;
  /** The PAYMENT_STATUS_CHANGED body for a stored payment; `overrides` forge fields of `data` only. */
  paymentStatusChangedEvent(paymentKey: string, overrides?: Partial<TossPayment>): TossWebhookEvent<TossPayment>;
}

const TOSS_MESSAGES: Record<string, string> = {
  UNAUTHORIZED_KEY: '인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다.',
  INCORRECT_BASIC_AUTH_FORMAT: "잘못된 요청입니다. ':' 를 포함해 인코딩해주세요.",
  INVALID_REQUEST: '잘못된 요청입니다.',
  INVALID_ORDER_ID: '`orderId`는 영문 대소문자, 숫자, 특수문자(-, _) 만 허용합니다. 6자 이상 64자 이하여야 합니다.',
  INVALID_CUSTOMER_KEY: '`customerKey`는 영문 대소문자, 숫자, 특수문자 -, _, =, ., @로 2자 이상 255자 이하여야 합니다.',
  BELOW_MINIMUM_AMOUNT: '신용카드는 결제금액이 100원 이상, 계좌는 200원이상부터 결제가 가능합니다.',
  NOT_FOUND_BILLING: '존재하지 않는 빌링 결제 인증 정보 입니다.',
  INVALID_BILL_KEY_REQUEST: '빌링키 인증이 완료되지 않았거나 유효하지 않은 빌링 거래 건입니다.',
  NOT_MATCHES_CUSTOMER_KEY: '빌링 인증 고객키와 결제 요청 고객키가 일치하지 않습니다.',
  DUPLICATED_ORDER_ID: '이미 승인 및 취소가 진행된 중복된 주문번호 입니다. 다른 주문번호로 진행해주세요.',
  REJECT_CARD_PAYMENT: '한도초과 혹은 잔액부족으로 결제에 실패했습니다.',
  REJECT_CARD_COMPANY: '결제 승인이 거절되었습니다.',
  INVALID_STOPPED_CARD: '정지된 카드 입니다.',
  NOT_FOUND_PAYMENT: '존재하지 않는 결제 정보 입니다.',
  NOT_FOUND: '존재하지 않는 정보 입니다.',
  FAILED_INTERNAL_SYSTEM_PROCESSING: '내부 시스템 처리 작업이 실패했습니다. 잠시 후 다시 시도해주세요.',
};

// Card-rejection codes are 403 in Toss's table; the other billing errors are 400.
const declineStatus = (code: string): number => (code.startsWith('REJECT_') || code === 'FORBIDDEN_REQUEST' ? 403 : 400);

function tossError(status: number, code: string, message = TOSS_MESSAGES[code] ?? code): FakeReply {
  return { status, body: { code, message } };
}

const ORDER_ID = /^[A-Za-z0-9_=-]{6,64}$/;
const CUSTOMER_KEY = /^[A-Za-z0-9_=.@-]{2,255}$/;
const KST_OFFSET_MS = 9 * 3_600_000;

/** ISO 8601 in Korea time with its offset, as Toss writes approvedAt: 2024-09-05T12:19:21+09:00 */
export function kstIso(date: Date = new Date()): string {
  return `${new Date(date.getTime() + KST_OFFSET_MS).toISOString().slice(0, 19)}+09:00`;
}

/** Webhook createdAt: KST local time with microseconds and no offset. */
function kstLocalMicros(date: Date = new Date()): string {
  return `${new Date(date.getTime() + KST_OFFSET_MS).toISOString().slice(0, 23)}000`;
}

function compactKst(date: Date): string {
  return kstIso(date).slice(0, 19).replace(/[-:T]/g, '');
}

function randomAlnum(length: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(length)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** Value for `tosspayments-webhook-signature`: `v1:` then two base64 HMACs, one made with `secret`. */
export function signToss(
  rawBody: string,
  secret: string,
  transmissionTime: string = kstIso(),
): { signature: string; transmissionTime: string } {
  const mac = (key: string | Buffer) => createHmac('sha256', key).update(`${rawBody}:${transmissionTime}`).digest('base64');
  // The other value stands for a rotated key; it comes first so a verifier must try both.
  return { signature: `v1:${mac(randomBytes(32))},${mac(secret)}`, transmissionTime };
}

/** Headers Toss sends with a webhook; the signature pair only when `secret` is given. */
export function tossWebhookHeaders(
  rawBody: string,
  options: { secret?: string; transmissionId?: string; retriedCount?: number } = {},
): Record<string, string> {
  const transmissionTime = kstIso();
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'tosspayments-webhook-transmission-id': options.transmissionId ?? `wh_${randomBytes(16).toString('hex')}`,
    'tosspayments-webhook-transmission-time': transmissionTime,
    'tosspayments-webhook-transmission-retried-count': String(options.retriedCount ?? 0),
  };
  if (options.secret !== undefined) {
    headers['tosspayments-webhook-signature'] = signToss(rawBody, options.secret, transmissionTime).signature;
  }
  return headers;
}

function authenticate(secretKey: string, req: RecordedRequest): FakeReply | undefined {
  const header = req.headers.authorization ?? '';
  if (!header.startsWith('Basic ')) return tossError(401, 'UNAUTHORIZED_KEY');
  const decoded = Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8');
  if (!decoded.includes(':')) return tossError(401, 'INCORRECT_BASIC_AUTH_FORMAT');
  return decoded === `${secretKey}:` ? undefined : tossError(401, 'UNAUTHORIZED_KEY');
}

const TEST_CARD: TossCard = {
  issuerCode: '71',
  acquirerCode: '71',
  number: '43301234****123*',
  cardType: '신용',
  ownerType: '개인',
};

interface ChargeRequest {
  customerKey: string;
  amount: number;
  orderId: string;
  orderName: string;
  taxFreeAmount: number;
}

function buildPayment(mId: string, billing: TossBilling, charge: ChargeRequest): TossPayment {
  const now = new Date();
  const paymentKey = `${mId.slice(0, 5)}${compactKst(now)}${randomAlnum(5)}`;
  // Toss splits the taxable part into supply value and 10% VAT, rounding the VAT.
  const vat = Math.round((charge.amount - charge.taxFreeAmount) / 11);
  return {
    mId,
    lastTransactionKey: `txrd_${randomAlnum(29)}`,
    paymentKey,
    orderId: charge.orderId,
    orderName: charge.orderName,
    taxExemptionAmount: 0,
    status: 'DONE',
    requestedAt: kstIso(now),
    approvedAt: kstIso(now),
    useEscrow: false,
    cultureExpense: false,
    card: {
      ...billing.card,
      amount: charge.amount,
      installmentPlanMonths: 0,
      isInterestFree: false,
      interestPayer: null,
      approveNo: String(randomBytes(4).readUInt32BE() % 100_000_000).padStart(8, '0'),
      useCardPoint: false,
      acquireStatus: 'READY',
    },
    virtualAccount: null,
    transfer: null,
    mobilePhone: null,
    giftCertificate: null,
    cashReceipt: null,
    cashReceipts: null,
    discount: null,
    cancels: null,
    secret: null,
    type: 'BILLING',
    easyPay: null,
    country: 'KR',
    failure: null,
    isPartialCancelable: true,
    receipt: { url: `https://dashboard.tosspayments.com/receipt/redirection?transactionId=${paymentKey}&ref=PX` },
    checkout: { url: `https://api.tosspayments.com/v1/payments/${paymentKey}/checkout` },
    currency: 'KRW',
    totalAmount: charge.amount,
    balanceAmount: charge.amount,
    suppliedAmount: charge.amount - charge.taxFreeAmount - vat,
    vat,
    taxFreeAmount: charge.taxFreeAmount,
    method: '카드',
    version: '2022-11-16',
    metadata: null,
  };
}

function parseCharge(body: unknown): ChargeRequest | FakeReply {
  const input = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const { customerKey, amount, orderId, orderName } = input;
  const taxFreeAmount = input.taxFreeAmount ?? 0;
  if (typeof customerKey !== 'string' || typeof orderId !== 'string' || typeof orderName !== 'string') {
    return tossError(400, 'INVALID_REQUEST');
  }
  if (typeof amount !== 'number' || !Number.isInteger(amount) || typeof taxFreeAmount !== 'number') {
    return tossError(400, 'INVALID_REQUEST');
  }
  if (!ORDER_ID.test(orderId)) return tossError(400, 'INVALID_ORDER_ID');
  if (!CUSTOMER_KEY.test(customerKey)) return tossError(400, 'INVALID_CUSTOMER_KEY');
  if (amount < 100) return tossError(400, 'BELOW_MINIMUM_AMOUNT');
  return { customerKey, amount, orderId, orderName, taxFreeAmount };
}

export async function startFakeToss(options: StartFakeTossOptions): Promise<FakeToss> {
  const mId = options.mId ?? 'tvivarepublica';
  const authKeys = new Map<string, string>();
  const billings = new Map<string, TossBilling>();
  const payments = new Map<string, TossPayment>();
  const paymentKeysByOrder = new Map<string, string>();
  const charges: TossPayment[] = [];
  const idempotent = new Map<string, FakeReply>();
  const declinedKeys = new Map<string, { code: string; message: string | undefined }>();
  let nextDecline: { code: string; message: string | undefined } | undefined;

  function authorize(customerKey: string): string {
    const authKey = `bln_${randomAlnum(20)}`;
    authKeys.set(authKey, customerKey);
    return authKey;
  }

  function issueBillingKey(req: RecordedRequest): FakeReply {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const { authKey, customerKey } = body;
    if (typeof authKey !== 'string' || typeof customerKey !== 'string') return tossError(400, 'INVALID_REQUEST');
    if (!CUSTOMER_KEY.test(customerKey)) return tossError(400, 'INVALID_CUSTOMER_KEY');
    const authorizedFor = authKeys.get(authKey);
    if (authorizedFor === undefined) return tossError(404, 'NOT_FOUND_BILLING');
    if (authorizedFor !== customerKey) return tossError(400, 'NOT_MATCHES_CUSTOMER_KEY');
    authKeys.delete(authKey);
    // Real billing keys are URL-safe base64 with padding, e.g. lWd2ICDZVc-C2K82ubzX_179q2I8kxIlk4EqDgoBXzE=
    const billingKey = `${randomBytes(32).toString('base64url')}=`;
    const billing: TossBilling = {
      mId,
      customerKey,
      authenticatedAt: kstIso(),
      method: '카드',
      billingKey,
      card: { ...TEST_CARD },
      cardCompany: '롯데',
      cardNumber: TEST_CARD.number,
    };
    billings.set(billingKey, billing);
    return { status: 200, body: billing };
  }

  function takeDecline(billingKey: string): FakeReply | undefined {
    const decline = nextDecline ?? declinedKeys.get(billingKey);
    nextDecline = undefined;
    return decline ? tossError(declineStatus(decline.code), decline.code, decline.message) : undefined;
  }

  function charge(billingKey: string, body: unknown): FakeReply {
    const request = parseCharge(body);
    if ('status' in request) return request;
    const billing = billings.get(billingKey);
    if (!billing) return tossError(400, 'INVALID_BILL_KEY_REQUEST');
    if (billing.customerKey !== request.customerKey) return tossError(400, 'NOT_MATCHES_CUSTOMER_KEY');
    if (paymentKeysByOrder.has(request.orderId)) return tossError(400, 'DUPLICATED_ORDER_ID');
    const declined = takeDecline(billingKey);
    if (declined) return declined;
    const payment = buildPayment(mId, billing, request);
    payments.set(payment.paymentKey, payment);
    paymentKeysByOrder.set(payment.orderId, payment.paymentKey);
    charges.push(payment);
    return { status: 200, body: payment };
  }

  function chargeWithIdempotency(req: RecordedRequest, billingKey: string): FakeReply {
    const key = req.headers['idempotency-key'];
    const previous = key ? idempotent.get(key) : undefined;
    if (previous) return previous;
    const reply = charge(billingKey, req.body);
    if (key && reply.status < 500) idempotent.set(key, structuredClone(reply));
    return reply;
  }

  function getPayment(paymentKey: string | undefined): FakeReply {
    const payment = paymentKey ? payments.get(paymentKey) : undefined;
    return payment ? { status: 200, body: payment } : tossError(404, 'NOT_FOUND_PAYMENT');
  }

  function setPaymentStatus(paymentKey: string, status: TossPaymentStatus): TossPayment {
    const payment = payments.get(paymentKey);
    if (!payment) throw new Error(`fake toss: unknown payment ${paymentKey}`);
    payment.status = status;
    payment.lastTransactionKey = `txrd_${randomAlnum(29)}`;
    if (status === 'CANCELED') {
      payment.cancels = [
        {
          transactionKey: payment.lastTransactionKey,
          cancelReason: '고객 요청',
          taxExemptionAmount: 0,
          canceledAt: kstIso(),
          easyPayDiscountAmount: 0,
          receiptKey: null,
          cancelAmount: payment.balanceAmount,
          taxFreeAmount: payment.taxFreeAmount,
          refundableAmount: 0,
          cancelStatus: 'DONE',
          cancelRequestId: null,
        },
      ];
      payment.balanceAmount = 0;
      payment.isPartialCancelable = false;
    }
    return payment;
  }

  function paymentStatusChangedEvent(paymentKey: string, overrides: Partial<TossPayment> = {}): TossWebhookEvent<TossPayment> {
    const payment = payments.get(paymentKey);
    if (!payment) throw new Error(`fake toss: unknown payment ${paymentKey}`);
    return { eventType: 'PAYMENT_STATUS_CHANGED', createdAt: kstLocalMicros(), data: { ...structuredClone(payment), ...overrides } };
  }

  const routes: Route[] = [
    { method: 'POST', pattern: '/v1/billing/authorizations/issue', handler: issueBillingKey },
    { method: 'POST', pattern: '/v1/billing/:billingKey', handler: (req, p) => chargeWithIdempotency(req, p.billingKey as string) },
    { method: 'GET', pattern: '/v1/payments/orders/:orderId', handler: (_req, p) => getPayment(paymentKeysByOrder.get(p.orderId as string)) },
    { method: 'GET', pattern: '/v1/payments/:paymentKey', handler: (_req, p) => getPayment(p.paymentKey) },
  ];

  const server = await startFakeServer({
    routes,
    authenticate: (req) => authenticate(options.secretKey, req),
    serverError: () => tossError(500, 'FAILED_INTERNAL_SYSTEM_PROCESSING'),
    // Toss's error table does not name its throttling code; the status is what callers act on.
    throttled: () => tossError(429, 'TOO_MANY_REQUESTS', '요청이 너무 많습니다. 잠시 후 다시 시도해주세요.'),
    notFound: () => tossError(404, 'NOT_FOUND'),
    onReset: () => {
      charges.length = 0;
      nextDecline = undefined;
      declinedKeys.clear();
    },
  });

  return Object.assign(server, {
    charges,
    billings,
    authorize,
    declineNext(code = 'REJECT_CARD_PAYMENT', message?: string) {
      nextDecline = { code, message };
    },
    declineBillingKey(billingKey: string, code = 'REJECT_CARD_PAYMENT', message?: string) {
      declinedKeys.set(billingKey, { code, message });
    },
    setPaymentStatus,
    paymentStatusChangedEvent,
  });
}

/** A fresh order id in Toss's allowed alphabet (6–64 characters). */
export const newTossOrderId = (): string => `order_${randomUUID().replace(/-/g, '')}`;
