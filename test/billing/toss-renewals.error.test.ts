import { describe, expect, it } from 'vitest';
import { MeDocument, SubscriptionDocument, UsageDocument } from '../../sdk/index.js';
import { TOSS_RENEWAL_JOB } from '../../src/jobs/billing.js';
import { tossOrderId } from '../../src/services/billing/toss-billing.js';
import { registerUser } from '../support/accounts.js';
import { DAY_MS, tossChargePaths, subscribeWithToss, useBillingServer } from '../support/billing.js';

const ctx = useBillingServer({ providers: ['toss'], env: { PROVIDER_TIMEOUT_MS: '400' } });

async function subscribedUser() {
  const user = await registerUser(ctx.server);
  return { user, ...(await subscribeWithToss(ctx.server, ctx.fakes.toss, user)) };
}

const makeDue = (subscriptionId: string) => ctx.server.sql(`update toss_billing set next_charge_at = now() - interval '1 second' where subscription_id = ?`, [subscriptionId]);

async function billing(subscriptionId: string) {
  const [row] = await ctx.server.sql<{ failed_attempts: number; first_failed_at: string | null; next_charge_at: string }>(
    `select failed_attempts, first_failed_at, next_charge_at from toss_billing where subscription_id = ?`,
    [subscriptionId],
  );
  return { attempts: row!.failed_attempts, firstFailedAt: row!.first_failed_at ? new Date(row!.first_failed_at) : null, nextChargeAt: new Date(row!.next_charge_at) };
}

describe('a failing Toss renewal', () => {
  it('walks PAST_DUE → retries on days 1, 3 and 7 → EXPIRED, and the tier drops to FREE', async () => {
    const { user, subscriptionId, billingKey } = await subscribedUser();
    ctx.fakes.toss.reset();
    ctx.fakes.toss.declineBillingKey(billingKey, 'REJECT_CARD_PAYMENT');
    const orderId = tossOrderId(subscriptionId, 1);

    await makeDue(subscriptionId);
    await ctx.server.rt.scheduler.runNow(TOSS_RENEWAL_JOB);
    let state = await billing(subscriptionId);
    expect(state.attempts).toBe(1);
    const first = state.firstFailedAt!;
    expect(state.nextChargeAt.getTime()).toBe(first.getTime() + 1 * DAY_MS);
    expect((await user.client.request(SubscriptionDocument)).subscription!.status).toBe('PAST_DUE');
    expect((await user.client.request(UsageDocument)).usage.tier).toBe('PRO'); // within the grace period

    for (const [attempts, day] of [
      [2, 3],
      [3, 7],
    ] as const) {
      await makeDue(subscriptionId);
      await ctx.server.rt.scheduler.runNow(TOSS_RENEWAL_JOB);
      state = await billing(subscriptionId);
      expect(state.attempts).toBe(attempts);
      expect(state.firstFailedAt!.getTime()).toBe(first.getTime());
      expect(state.nextChargeAt.getTime()).toBe(first.getTime() + day * DAY_MS);
      expect((await user.client.request(SubscriptionDocument)).subscription!.status).toBe('PAST_DUE');
    }

    await makeDue(subscriptionId);
    await ctx.server.rt.scheduler.runNow(TOSS_RENEWAL_JOB);
    expect((await user.client.request(SubscriptionDocument)).subscription).toBeNull(); // expired ones are not current
    const [row] = await ctx.server.sql(`select status from subscriptions where id = ?`, [subscriptionId]);
    expect(row).toEqual({ status: 'EXPIRED' });
    const { usage } = await user.client.request(UsageDocument);
    expect(usage.tier).toBe('FREE');
    expect(usage.limits.maxMemories).toBe(5_000);
    expect((await user.client.request(MeDocument)).me.tier).toBe('FREE');

    // Four attempts at one order id, nothing charged, nothing more to try.
    const attempts = ctx.fakes.toss.requests.filter((r) => r.method === 'POST' && r.path === `/v1/billing/${encodeURIComponent(billingKey)}`);
    expect(attempts.map((r) => (r.body as { orderId: string }).orderId)).toEqual([orderId, orderId, orderId, orderId]);
    expect(ctx.fakes.toss.charges).toHaveLength(0);
    await makeDue(subscriptionId);
    await ctx.server.rt.scheduler.runNow(TOSS_RENEWAL_JOB);
    expect(ctx.fakes.toss.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/v1/billing/'))).toHaveLength(4);

    const audit = await ctx.server.sql<{ type: string; status_after: string; tier_after: string }>(
      `select type, status_after, tier_after from subscription_events where subscription_id = ? order by created_at`,
      [subscriptionId],
    );
    expect(audit.map((a) => `${a.type}:${a.status_after}:${a.tier_after}`)).toEqual([
      'SUBSCRIPTION_CREATED:ACTIVE:PRO',
      'PAYMENT_FAILED:PAST_DUE:PRO',
      'PAYMENT_FAILED:PAST_DUE:PRO',
      'PAYMENT_FAILED:PAST_DUE:PRO',
      'SUBSCRIPTION_EXPIRED:EXPIRED:FREE',
    ]);
  });

  it('ends the entitlement after the 7-day grace even between retries', async () => {
    const { user, subscriptionId, billingKey } = await subscribedUser();
    ctx.fakes.toss.declineBillingKey(billingKey);
    await makeDue(subscriptionId);
    await ctx.server.rt.scheduler.runNow(TOSS_RENEWAL_JOB);
    await ctx.server.sql(`update subscriptions set past_due_since = now() - interval '8 days' where id = ?`, [subscriptionId]);
    await ctx.server.rt.entitlements.changed(user.id);
    expect((await user.client.request(UsageDocument)).usage.tier).toBe('FREE');
  });

  for (const mode of ['stall', 'error500'] as const) {
    it(`(${mode}) is not a decline: the subscription stays ACTIVE and the same attempt is retried later`, async () => {
      const { user, subscriptionId } = await subscribedUser();
      ctx.fakes.toss.reset();
      ctx.fakes.toss.fail(mode, { paths: tossChargePaths() });
      await makeDue(subscriptionId);
      await ctx.server.rt.scheduler.runNow(TOSS_RENEWAL_JOB);
      expect((await user.client.request(SubscriptionDocument)).subscription!.status).toBe('ACTIVE');
      const state = await billing(subscriptionId);
      expect(state.attempts).toBe(0);
      expect(state.nextChargeAt.getTime()).toBeGreaterThan(Date.now() + 4 * 60_000);

      ctx.fakes.toss.fail('ok');
      await makeDue(subscriptionId);
      await ctx.server.rt.scheduler.runNow(TOSS_RENEWAL_JOB);
      expect(ctx.fakes.toss.charges.map((c) => c.orderId)).toEqual([tossOrderId(subscriptionId, 1)]);
      const keys = ctx.fakes.toss.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/v1/billing/')).map((r) => r.headers['idempotency-key']);
      expect(new Set(keys)).toEqual(new Set([`${tossOrderId(subscriptionId, 1)}-a0`]));
    });
  }
});
