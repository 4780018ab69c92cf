import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { kstIso, newTossOrderId, signToss, startFakeToss, tossWebhookHeaders, type FakeToss, type TossBilling, type TossPayment } from './toss.js';

const SECRET_KEY = 'test_sk_fake0123456789';

let fake: FakeToss;

beforeAll(async () => {
  fake = await startFakeToss({ secretKey: SECRET_KEY });
});

afterAll(() => fake.close());

beforeEach(() => fake.reset());

const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

async function toss<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${fake.url}${path}`, {
    method,
    headers: { Authorization: basic(SECRET_KEY), 'Content-Type': 'application/json', ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: (await response.json()) as T };
}

async function issueBillingKey(customerKey: string): Promise<TossBilling> {
  const authKey = fake.authorize(customerKey);
  const { status, body } = await toss<TossBilling>('POST', '/v1/billing/authorizations/issue', { authKey, customerKey });
  expect(status).toBe(200);
  return body;
}

const chargePath = (billingKey: string) => `/v1/billing/${encodeURIComponent(billingKey)}`;

describe('fake TossPayments billing API', () => {
  it('issues a billing key once per authKey', async () => {
    const customerKey = 'cust_8f2a1c';
    const authKey = fake.authorize(customerKey);
    const issued = await toss<TossBilling>('POST', '/v1/billing/authorizations/issue', { authKey, customerKey });
    expect(issued.status).toBe(200);
    expect(issued.body).toMatchObject({
      mId: 'tvivarepublica',
      customerKey,
      method: '카드',
      card: { number: '43301234****123*', cardType: '신용', ownerType: '개인' },
      cardNumber: '43301234****123*',
    });
    expect(issued.body.billingKey).toMatch(/^[A-Za-z0-9_-]+=$/);
    expect(issued.body.authenticatedAt).toMatch(/\+09:00$/);

    const reused = await toss('POST', '/v1/billing/authorizations/issue', { authKey, customerKey });
    expect(reused).toEqual({ status: 404, body: { code: 'NOT_FOUND_BILLING', message: expect.any(String) } });
  });

  it('rejects a wrong secret key with UNAUTHORIZED_KEY', async () => {
    const denied = await toss('GET', '/v1/payments/x', undefined, { Authorization: basic('test_sk_wrong') });
    expect(denied).toEqual({ status: 401, body: { code: 'UNAUTHORIZED_KEY', message: expect.any(String) } });
    const noColon = await toss('GET', '/v1/payments/x', undefined, { Authorization: `Basic ${Buffer.from(SECRET_KEY).toString('base64')}` });
    expect(noColon.body).toMatchObject({ code: 'INCORRECT_BASIC_AUTH_FORMAT' });
  });

  it('charges a billing key, refuses a duplicate orderId without charging again, and serves the payment', async () => {
    const customerKey = 'cust_charge_1';
    const { billingKey } = await issueBillingKey(customerKey);
    const orderId = newTossOrderId();
    const request = { customerKey, amount: 9900, orderId, orderName: 'Stellar Memory Pro 1개월', customerEmail: 'ada@example.com' };

    const first = await toss<TossPayment>('POST', chargePath(billingKey), request);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      orderId,
      status: 'DONE',
      method: '카드',
      type: 'BILLING',
      currency: 'KRW',
      totalAmount: 9900,
      balanceAmount: 9900,
      suppliedAmount: 9000,
      vat: 900,
      version: '2022-11-16',
      mId: 'tvivarepublica',
    });
    expect(first.body.approvedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+09:00$/);
    expect(first.body.receipt.url).toContain(first.body.paymentKey);

    const duplicate = await toss('POST', chargePath(billingKey), request);
    expect(duplicate).toEqual({ status: 400, body: { code: 'DUPLICATED_ORDER_ID', message: expect.any(String) } });
    expect(fake.charges).toHaveLength(1);

    expect(await toss('GET', `/v1/payments/${first.body.paymentKey}`)).toEqual({ status: 200, body: first.body });
    expect(await toss('GET', `/v1/payments/orders/${orderId}`)).toEqual({ status: 200, body: first.body });
    expect((await toss('GET', '/v1/payments/missing')).body).toMatchObject({ code: 'NOT_FOUND_PAYMENT' });
    expect((await toss('GET', '/v1/payments/missing')).status).toBe(404);
  });

  it('replays the first response for a repeated Idempotency-Key', async () => {
    const customerKey = 'cust_idem';
    const { billingKey } = await issueBillingKey(customerKey);
    const headers = { 'Idempotency-Key': 'renewal-2026-05' };
    const first = await toss<TossPayment>('POST', chargePath(billingKey), { customerKey, amount: 9900, orderId: newTossOrderId(), orderName: 'Pro' }, headers);
    const again = await toss<TossPayment>('POST', chargePath(billingKey), { customerKey, amount: 9900, orderId: newTossOrderId(), orderName: 'Pro' }, headers);
    expect(again).toEqual(first);
    expect(fake.charges).toHaveLength(1);
  });

  it('declines on demand with a 4xx { code, message }, without consuming the orderId', async () => {
    const customerKey = 'cust_decline';
    const { billingKey } = await issueBillingKey(customerKey);
    const request = { customerKey, amount: 9900, orderId: newTossOrderId(), orderName: 'Pro' };

    fake.declineNext();
    const declined = await toss('POST', chargePath(billingKey), request);
    expect(declined).toEqual({ status: 403, body: { code: 'REJECT_CARD_PAYMENT', message: '한도초과 혹은 잔액부족으로 결제에 실패했습니다.' } });
    expect(fake.charges).toHaveLength(0);
    expect((await toss('POST', chargePath(billingKey), request)).status).toBe(200);

    fake.declineBillingKey(billingKey, 'INVALID_STOPPED_CARD');
    const stopped = await toss('POST', chargePath(billingKey), { ...request, orderId: newTossOrderId() });
    expect(stopped).toEqual({ status: 400, body: { code: 'INVALID_STOPPED_CARD', message: expect.any(String) } });
  });

  it('validates the billing key, customer key and orderId like Toss', async () => {
    const { billingKey } = await issueBillingKey('cust_valid');
    const base = { customerKey: 'cust_valid', amount: 9900, orderName: 'Pro' };
    expect((await toss('POST', chargePath('unknown='), { ...base, orderId: newTossOrderId() })).body).toMatchObject({ code: 'INVALID_BILL_KEY_REQUEST' });
    expect((await toss('POST', chargePath(billingKey), { ...base, customerKey: 'someone_else', orderId: newTossOrderId() })).body).toMatchObject({
      code: 'NOT_MATCHES_CUSTOMER_KEY',
    });
    expect((await toss('POST', chargePath(billingKey), { ...base, orderId: 'bad:id' })).body).toMatchObject({ code: 'INVALID_ORDER_ID' });
  });

  it('builds PAYMENT_STATUS_CHANGED bodies, and the API view can differ from a forged body', async () => {
    const customerKey = 'cust_webhook';
    const { billingKey } = await issueBillingKey(customerKey);
    const { body: payment } = await toss<TossPayment>('POST', chargePath(billingKey), { customerKey, amount: 9900, orderId: newTossOrderId(), orderName: 'Pro' });

    fake.setPaymentStatus(payment.paymentKey, 'CANCELED');
    const forged = fake.paymentStatusChangedEvent(payment.paymentKey, { status: 'DONE' });
    expect(forged.eventType).toBe('PAYMENT_STATUS_CHANGED');
    expect(forged.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/);
    expect(forged.data).toMatchObject({ paymentKey: payment.paymentKey, status: 'DONE' });

    const truth = await toss<TossPayment>('GET', `/v1/payments/${payment.paymentKey}`);
    expect(truth.body).toMatchObject({ status: 'CANCELED', balanceAmount: 0 });
    expect(truth.body.cancels).toHaveLength(1);
  });

  it('fails with a Toss 500 on demand', async () => {
    fake.fail('error500', { times: 1 });
    expect(await toss('GET', '/v1/payments/x')).toEqual({ status: 500, body: { code: 'FAILED_INTERNAL_SYSTEM_PROCESSING', message: expect.any(String) } });
    expect((await toss('GET', '/v1/payments/x')).status).toBe(404);
  });
});

describe('Toss webhook signing (payout.changed / seller.changed only)', () => {
  it('signs `${body}:${transmissionTime}` with HMAC-SHA256, one of two base64 values after v1:', () => {
    const body = JSON.stringify({ eventType: 'payout.changed', createdAt: '2026-05-01T12:00:00+09:00', data: {} });
    const time = '2024-09-05T12:19:21+09:00';
    const { signature, transmissionTime } = signToss(body, 'toss-security-key', time);
    expect(transmissionTime).toBe(time);
    expect(signature.startsWith('v1:')).toBe(true);
    const values = signature.slice(3).split(',');
    expect(values).toHaveLength(2);
    const expected = createHmac('sha256', 'toss-security-key').update(`${body}:${time}`).digest('base64');
    expect(values).toContain(expected);
  });

  it('builds webhook headers, with a signature only when asked', () => {
    const unsigned = tossWebhookHeaders('{}', { transmissionId: 'wh_1' });
    expect(unsigned).toMatchObject({ 'tosspayments-webhook-transmission-id': 'wh_1', 'tosspayments-webhook-transmission-retried-count': '0' });
    expect(unsigned).not.toHaveProperty('tosspayments-webhook-signature');
    const signed = tossWebhookHeaders('{}', { secret: 'k' });
    expect(signed['tosspayments-webhook-signature']).toMatch(/^v1:[A-Za-z0-9+/=]+,[A-Za-z0-9+/=]+$/);
    expect(kstIso(new Date('2026-01-01T00:00:00Z'))).toBe('2026-01-01T09:00:00+09:00');
  });
});
