import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { tossOrderId } from '../../src/services/billing/toss-billing.js';
import { registerUser } from '../support/accounts.js';
import { TOSS, billingEnv, subscribeWithToss, useBillingServer } from '../support/billing.js';
import { useTestServer, type TestServer } from '../support/server.js';
import { deliver, tossDelivery, type Delivery } from '../support/webhooks.js';

/**
 * Forged Toss payment events (issue 15, finding 2). PAYMENT_STATUS_CHANGED is unsigned, so anyone
 * can post one; each used to cost a Toss API call with our secret key, and when Toss did not answer
 * 200 or 404 the whole forged body (up to 1 MB) was kept in the ledger.
 */

// The fakes are reset before each test, which also ends a failure mode a failed test left on.
const ctx = useBillingServer({ providers: ['toss'] });
// A database of its own: its per-IP counters start empty.
const limited = useTestServer(() => ({ env: { ...billingEnv(ctx.fakes, ['toss']), UNSIGNED_WEBHOOK_RATE_LIMIT: '5' }, ownDatabase: true }));

const paymentReads = () => ctx.fakes.toss.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/v1/payments/')).length;
const ledgerRows = (s: TestServer) => s.sql<{ n: number }>(`select count(*)::int as n from webhook_events where provider = 'TOSS'`).then((rows) => rows[0]!.n);

async function paidPaymentKey(on: TestServer): Promise<string> {
  const user = await registerUser(on);
  const { subscriptionId } = await subscribeWithToss(on, ctx.fakes.toss, user);
  return ctx.fakes.toss.charges.find((c) => c.orderId === tossOrderId(subscriptionId, 0))!.paymentKey;
}

/** The real event's body with attacker-chosen extras (`padding` bytes of text). */
function forgedEvent(paymentKey: string, padding = 0): Record<string, unknown> {
  const event = ctx.fakes.toss.paymentStatusChangedEvent(paymentKey) as unknown as { data: Record<string, unknown> } & Record<string, unknown>;
  return { ...event, data: { ...event.data, memo: 'FORGED-BY-ATTACKER', junk: 'x'.repeat(padding) }, extra: 'FORGED-TOP-LEVEL' };
}

async function inParallel(deliveries: Delivery[], to: TestServer, width = 25): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < deliveries.length; i += width) {
    statuses.push(...(await Promise.all(deliveries.slice(i, i + width).map(async (d) => (await deliver(to, d)).status))));
  }
  return statuses;
}

describe('unsigned Toss events', () => {
  it('over 16 KB are refused before anything: no Toss API call, nothing stored', async () => {
    const paymentKey = await paidPaymentKey(ctx.server);
    ctx.fakes.toss.reset();
    ctx.fakes.toss.fail('throttle');
    const rowsBefore = await ledgerRows(ctx.server);
    for (let i = 0; i < 3; i++) {
      const result = await deliver(ctx.server, tossDelivery(forgedEvent(paymentKey, 900_000)));
      expect(result.status).toBe(413);
    }
    expect(paymentReads()).toBe(0);
    expect(await ledgerRows(ctx.server)).toBe(rowsBefore);
    ctx.fakes.toss.fail('ok');
  });

  it('store nothing from the body beyond the paymentKey and the transmission id, even when Toss cannot answer', async () => {
    const paymentKey = await paidPaymentKey(ctx.server);
    ctx.fakes.toss.reset();
    ctx.fakes.toss.fail('throttle');
    const delivery = tossDelivery(forgedEvent(paymentKey, 2_000));
    expect((await deliver(ctx.server, delivery)).status).toBe(500); // Toss could not be asked: retry later
    const rows = await ctx.server.sql<{ payload: unknown; error: string | null; type: string }>(
      `select payload, error, type from webhook_events where event_id = ?`,
      [delivery.headers['tosspayments-webhook-transmission-id']],
    );
    expect(rows).toHaveLength(1);
    const stored = JSON.stringify(rows[0]);
    expect(stored).toContain(paymentKey);
    expect(stored).not.toContain('FORGED');
    expect(stored).not.toContain('xxxxxxxx');
    expect(stored).not.toContain('"orderId"');
    ctx.fakes.toss.fail('ok');

    // An unsigned event of a type we do not handle keeps nothing of its body either.
    const other = tossDelivery({ eventType: 'FORGED_TYPE_' + 'y'.repeat(100), createdAt: '2026-12-05T10:00:00.000000', data: { secret: 'FORGED-BY-ATTACKER' } });
    expect((await deliver(ctx.server, other)).status).toBe(200);
    const [ignored] = await ctx.server.sql(`select payload, type from webhook_events where event_id = ?`, [other.headers['tosspayments-webhook-transmission-id']]);
    expect(JSON.stringify(ignored ?? {})).not.toMatch(/FORGED|yyyy/);
  });

  it('1,000 forged copies of one event cause at most a handful of Toss API reads', async () => {
    const paymentKey = await paidPaymentKey(ctx.server);
    ctx.fakes.toss.reset();
    const copies = Array.from({ length: 1_000 }, () => tossDelivery(forgedEvent(paymentKey)));
    const statuses = await inParallel(copies, ctx.server);
    expect(paymentReads()).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(1);

    // The same with Toss throttling us: failures are shared too, not retried per copy.
    const throttledKey = await paidPaymentKey(ctx.server);
    ctx.fakes.toss.reset();
    ctx.fakes.toss.fail('throttle');
    await inParallel(Array.from({ length: 300 }, () => tossDelivery(forgedEvent(throttledKey))), ctx.server);
    expect(paymentReads()).toBeLessThanOrEqual(5);
    ctx.fakes.toss.fail('ok');
  });

  it('are limited per client IP; signed events are verified first and not counted', async () => {
    const paymentKey = await paidPaymentKey(limited.server);
    ctx.fakes.toss.reset();
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await deliver(limited.server, tossDelivery(forgedEvent(paymentKey)))).status);
    expect(statuses.slice(0, 5).every((s) => s !== 429)).toBe(true);
    expect(statuses[5]).toBe(429);
    const refused = await fetch(`${limited.server.url}/webhooks/toss`, { method: 'POST', ...tossDelivery(forgedEvent(paymentKey)) });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const signed = tossDelivery({ eventType: 'payout.changed', createdAt: '2026-12-05T10:00:00.000000', data: { payoutId: `FPA_${randomBytes(4).toString('hex')}` } }, { secret: TOSS.webhookSecret });
    expect((await deliver(limited.server, signed)).status).toBe(200);
  });
});
