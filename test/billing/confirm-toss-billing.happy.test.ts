import { describe, expect, it } from 'vitest';
import { CheckoutDocument, ConfirmTossBillingDocument, SubscriptionDocument, UsageDocument } from '../../sdk/index.js';
import { tossOrderId } from '../../src/services/billing/toss-billing.js';
import { registerUser } from '../support/accounts.js';
import { DAY_MS, TOSS, tossCheckout, useBillingServer } from '../support/billing.js';

const ctx = useBillingServer({ providers: ['toss'] });


describe('confirmTossBilling', () => {
  it('issues the billing key, charges the first month and activates PRO until one month later', async () => {
    const user = await registerUser(ctx.server);
    const { checkoutId, customerKey } = await tossCheckout(user);
    const authKey = ctx.fakes.toss.authorize(customerKey);

    const { confirmTossBilling } = await ctx.server.client().request(ConfirmTossBillingDocument, { input: { customerKey, authKey } });

    const basic = `Basic ${Buffer.from(`${TOSS.secretKey}:`).toString('base64')}`;
    const issue = ctx.fakes.toss.lastRequest('POST', '/v1/billing/authorizations/issue')!;
    expect(issue.headers.authorization).toBe(basic);
    expect(issue.body).toEqual({ authKey, customerKey });
    const billingKey = [...ctx.fakes.toss.billings.values()].find((b) => b.customerKey === customerKey)!.billingKey;
    const charge = ctx.fakes.toss.lastRequest('POST', '/v1/billing/')!;
    expect(charge.path).toBe(`/v1/billing/${encodeURIComponent(billingKey)}`);
    expect(charge.headers.authorization).toBe(basic);
    expect(charge.headers['idempotency-key']).toBe(`${tossOrderId(checkoutId, 0)}-a0`);
    expect(charge.body).toEqual({ customerKey, amount: 39_000, orderId: tossOrderId(checkoutId, 0), orderName: 'Stellar Memory Pro (monthly)' });
    expect(ctx.fakes.toss.charges).toHaveLength(1);

    const approvedAt = new Date(ctx.fakes.toss.charges[0]!.approvedAt!);
    const oneMonthLater = new Date(approvedAt);
    oneMonthLater.setUTCMonth(oneMonthLater.getUTCMonth() + 1);
    expect(confirmTossBilling).toMatchObject({ provider: 'TOSS', tier: 'PRO', status: 'ACTIVE', cancelAtPeriodEnd: false });
    expect(Math.abs(new Date(confirmTossBilling.currentPeriodEnd!).getTime() - oneMonthLater.getTime())).toBeLessThan(1_000);

    const { usage } = await user.client.request(UsageDocument);
    expect(usage.tier).toBe('PRO');
    expect(usage.limits.maxMemories).toBe(50_000);
    expect((await user.client.request(SubscriptionDocument)).subscription).toEqual(confirmTossBilling);

    const [billing] = await ctx.server.sql<{ period_index: number; next_charge_at: string }>(`select period_index, next_charge_at from toss_billing where subscription_id = ?`, [
      confirmTossBilling.id,
    ]);
    expect(billing!.period_index).toBe(0);
    expect(new Date(billing!.next_charge_at).getTime()).toBe(new Date(confirmTossBilling.currentPeriodEnd!).getTime());
    const audit = await ctx.server.sql(`select type, source, tier_before, tier_after, status_after, amount, currency from subscription_events where user_id = ?`, [user.id]);
    expect(audit).toEqual([{ type: 'SUBSCRIPTION_CREATED', source: 'toss', tier_before: 'FREE', tier_after: 'PRO', status_after: 'ACTIVE', amount: 39_000, currency: 'KRW' }]);
    expect(await ctx.server.sql(`select status from checkouts where id = ?`, [checkoutId])).toEqual([{ status: 'COMPLETED' }]);
  });

  it('takes the tier from the stored checkout (TEAM, 129,000 KRW)', async () => {
    const user = await registerUser(ctx.server);
    const { customerKey } = await tossCheckout(user, 'TEAM');
    const { confirmTossBilling } = await ctx.server.client().request(ConfirmTossBillingDocument, { input: { customerKey, authKey: ctx.fakes.toss.authorize(customerKey) } });
    expect(confirmTossBilling.tier).toBe('TEAM');
    expect(ctx.fakes.toss.charges[0]!.totalAmount).toBe(129_000);
    expect((await user.client.request(UsageDocument)).usage.limits.maxAgents).toBe(20);
  });

  it('a checkout started without a key (new email) completes into that new account', async () => {
    const { checkout } = await ctx.server.client().request(CheckoutDocument, { input: { tier: 'PRO', provider: 'TOSS', email: `toss-${Date.now()}@example.com` } });
    const customerKey = checkout.toss!.customerKey;
    await ctx.server.client().request(ConfirmTossBillingDocument, { input: { customerKey, authKey: ctx.fakes.toss.authorize(customerKey) } });
    const { usage } = await ctx.server.client(checkout.apiKey!.secret).request(UsageDocument);
    expect(usage.tier).toBe('PRO');
  });

  it('period ends follow calendar months from the first charge', async () => {
    const user = await registerUser(ctx.server);
    const { customerKey } = await tossCheckout(user);
    const { confirmTossBilling } = await ctx.server.client().request(ConfirmTossBillingDocument, { input: { customerKey, authKey: ctx.fakes.toss.authorize(customerKey) } });
    const days = (new Date(confirmTossBilling.currentPeriodEnd!).getTime() - Date.now()) / DAY_MS;
    expect(days).toBeGreaterThan(27);
    expect(days).toBeLessThan(32);
  });
});
