import { describe, expect, it } from 'vitest';
import { SubscriptionDocument, UsageDocument } from '../../sdk/index.js';
import { TOSS_RENEWAL_JOB } from '../../src/jobs/billing.js';
import { addMonths, renewTossSubscriptions, tossOrderId } from '../../src/services/billing/toss-billing.js';
import { registerUser } from '../support/accounts.js';
import { billingEnv, subscribeWithToss, useBillingServer } from '../support/billing.js';
import { SHARED_DATABASE_SKIP_REASON, sharedDatabaseAvailable } from '../support/database.js';
import { startTestServer } from '../support/server.js';

const ctx = useBillingServer({ providers: ['toss'] });

async function subscribedUser() {
  const user = await registerUser(ctx.server);
  return { user, ...(await subscribeWithToss(ctx.server, ctx.fakes.toss, user)) };
}

const makeDue = (subscriptionId: string) => ctx.server.sql(`update toss_billing set next_charge_at = now() - interval '1 second' where subscription_id = ?`, [subscriptionId]);
const chargesFor = (orderId: string) => ctx.fakes.toss.charges.filter((c) => c.orderId === orderId);

describe('Toss renewals', () => {
  it('charge a due subscription for the next period with its own order id and move the period on', async () => {
    const { user, subscriptionId, customerKey } = await subscribedUser();
    const [{ anchor_at }] = (await ctx.server.sql<{ anchor_at: string }>(`select anchor_at from toss_billing where subscription_id = ?`, [subscriptionId])) as [{ anchor_at: string }];
    const anchor = new Date(anchor_at);
    ctx.fakes.toss.reset();
    await makeDue(subscriptionId);

    await ctx.server.rt.scheduler.runNow(TOSS_RENEWAL_JOB);

    const orderId = tossOrderId(subscriptionId, 1);
    expect(chargesFor(orderId)).toHaveLength(1);
    const request = ctx.fakes.toss.lastRequest('POST', '/v1/billing/')!;
    expect(request.body).toEqual({ customerKey, amount: 39_000, orderId, orderName: 'Stellar Memory Pro (monthly)' });
    expect(request.headers['idempotency-key']).toBe(`${orderId}-a0`);

    const { subscription } = await user.client.request(SubscriptionDocument);
    expect(subscription).toMatchObject({ status: 'ACTIVE', tier: 'PRO' });
    expect(new Date(subscription!.currentPeriodEnd!).getTime()).toBe(addMonths(anchor, 2).getTime());
    const [billing] = await ctx.server.sql(`select period_index, failed_attempts from toss_billing where subscription_id = ?`, [subscriptionId]);
    expect(billing).toEqual({ period_index: 1, failed_attempts: 0 });
    expect(await ctx.server.sql(`select type, amount from subscription_events where subscription_id = ? and type = 'PAYMENT_SUCCEEDED'`, [subscriptionId])).toEqual([
      { type: 'PAYMENT_SUCCEEDED', amount: 39_000 },
    ]);

    // Not due any more: running again charges nothing.
    await ctx.server.rt.scheduler.runNow(TOSS_RENEWAL_JOB);
    expect(ctx.fakes.toss.charges).toHaveLength(1);
  });

  it('run twice at once for the same period charge once', async () => {
    const { subscriptionId } = await subscribedUser();
    ctx.fakes.toss.reset();
    await makeDue(subscriptionId);
    const reports = await Promise.all([1, 2, 3].map(() => renewTossSubscriptions(ctx.server.rt, ctx.server.rt.forkEm())));
    expect(reports.reduce((n, r) => n + r.charged, 0)).toBe(1);
    expect(chargesFor(tossOrderId(subscriptionId, 1))).toHaveLength(1);
  });

  it('run again after the outcome was lost (a crash before recording) charge nothing more', async () => {
    const { subscriptionId } = await subscribedUser();
    ctx.fakes.toss.reset();
    await makeDue(subscriptionId);
    await ctx.server.rt.scheduler.runNow(TOSS_RENEWAL_JOB);
    // Forget that period 1 was recorded, as if the instance died right after Toss approved it.
    await ctx.server.sql(`delete from toss_payments where subscription_id = ? and period_index = 1`, [subscriptionId]);
    await ctx.server.sql(`update toss_billing set period_index = 0, next_charge_at = now() - interval '1 second' where subscription_id = ?`, [subscriptionId]);

    await ctx.server.rt.scheduler.runNow(TOSS_RENEWAL_JOB);
    expect(chargesFor(tossOrderId(subscriptionId, 1))).toHaveLength(1);
    expect(await ctx.server.sql(`select period_index from toss_billing where subscription_id = ?`, [subscriptionId])).toEqual([{ period_index: 1 }]);
    expect(await ctx.server.sql(`select count(*)::int as n from toss_payments where subscription_id = ?`, [subscriptionId])).toEqual([{ n: 2 }]);
  });

  it('recover a PAST_DUE subscription when a retry is paid', async () => {
    const { user, subscriptionId } = await subscribedUser();
    ctx.fakes.toss.reset();
    await makeDue(subscriptionId);
    ctx.fakes.toss.declineNext();
    await ctx.server.rt.scheduler.runNow(TOSS_RENEWAL_JOB);
    expect((await user.client.request(SubscriptionDocument)).subscription!.status).toBe('PAST_DUE');
    expect((await user.client.request(UsageDocument)).usage.tier).toBe('PRO'); // grace period

    await makeDue(subscriptionId);
    await ctx.server.rt.scheduler.runNow(TOSS_RENEWAL_JOB);
    expect((await user.client.request(SubscriptionDocument)).subscription!.status).toBe('ACTIVE');
    expect(chargesFor(tossOrderId(subscriptionId, 1))).toHaveLength(1);
    const attempts = ctx.fakes.toss.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/v1/billing/') && !r.path.includes('authorizations'));
    expect(attempts.map((r) => r.headers['idempotency-key'])).toEqual([`${tossOrderId(subscriptionId, 1)}-a0`, `${tossOrderId(subscriptionId, 1)}-a1`]);
  });
});

describe.skipIf(!sharedDatabaseAvailable())(`Toss renewals on two instances (${SHARED_DATABASE_SKIP_REASON})`, () => {
  it('two instances running the job at once charge a period once', async () => {
    const other = await startTestServer({ env: billingEnv(ctx.fakes, ['toss']) });
    try {
      const subscriptions = [await subscribedUser(), await subscribedUser(), await subscribedUser()];
      ctx.fakes.toss.reset();
      for (const { subscriptionId } of subscriptions) await makeDue(subscriptionId);
      await Promise.all([ctx.server.rt.scheduler.runNow(TOSS_RENEWAL_JOB), other.rt.scheduler.runNow(TOSS_RENEWAL_JOB)]);
      for (const { subscriptionId } of subscriptions) expect(chargesFor(tossOrderId(subscriptionId, 1))).toHaveLength(1);
      expect(ctx.fakes.toss.charges).toHaveLength(3);
    } finally {
      await other.close();
    }
  });
});
