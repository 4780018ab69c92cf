import { describe, expect, it } from 'vitest';
import { BadUserInputError, CheckoutDocument, ConfirmTossBillingDocument, NotFoundError, PaymentFailedError, ProviderError, ProviderNotConfiguredError, UsageDocument } from '../../sdk/index.js';
import { registerUser, type TestUser } from '../support/accounts.js';
import { tossOrderId } from '../../src/services/billing/toss-billing.js';
import { billingEnv, timed, tossApi, tossChargePaths, tossCheckout, useBillingServer } from '../support/billing.js';
import { startTestServer } from '../support/server.js';

const ctx = useBillingServer({ providers: ['toss'], env: { PROVIDER_TIMEOUT_MS: '400' } });


const confirm = (customerKey: string, authKey: string) => ctx.server.client().request(ConfirmTossBillingDocument, { input: { customerKey, authKey } });

async function nothingActivated(user: TestUser) {
  expect(await ctx.server.sql(`select id from subscriptions where user_id = ?`, [user.id])).toEqual([]);
  expect((await user.client.request(UsageDocument)).usage.tier).toBe('FREE');
}

describe('confirmTossBilling refuses', () => {
  it('an unknown customerKey with NOT_FOUND and changes nothing', async () => {
    const subscriptionsBefore = await ctx.server.sql(`select count(*)::int as n from subscriptions`);
    for (const customerKey of ['cus_unknown', 'x'.repeat(300), '']) {
      await expect(confirm(customerKey, 'bln_whatever')).rejects.toBeInstanceOf(NotFoundError);
    }
    expect(ctx.fakes.toss.requests).toHaveLength(0);
    expect(await ctx.server.sql(`select count(*)::int as n from subscriptions`)).toEqual(subscriptionsBefore);
  });

  it('a customerKey already used, with NOT_FOUND, without charging again', async () => {
    const user = await registerUser(ctx.server);
    const customerKey = (await tossCheckout(user)).customerKey;
    await confirm(customerKey, ctx.fakes.toss.authorize(customerKey));
    await expect(confirm(customerKey, ctx.fakes.toss.authorize(customerKey))).rejects.toBeInstanceOf(NotFoundError);
    expect(ctx.fakes.toss.charges).toHaveLength(1);
  });

  it('an expired checkout with NOT_FOUND', async () => {
    const user = await registerUser(ctx.server);
    const customerKey = (await tossCheckout(user)).customerKey;
    await ctx.server.sql(`update checkouts set expires_at = now() - interval '1 second' where reference = ?`, [customerKey]);
    await expect(confirm(customerKey, ctx.fakes.toss.authorize(customerKey))).rejects.toBeInstanceOf(NotFoundError);
    expect(ctx.fakes.toss.requests).toHaveLength(0);
  });

  it('a declined first charge with PAYMENT_FAILED and activates nothing', async () => {
    const user = await registerUser(ctx.server);
    const customerKey = (await tossCheckout(user)).customerKey;
    ctx.fakes.toss.declineNext('REJECT_CARD_PAYMENT', '한도초과 혹은 잔액부족으로 결제에 실패했습니다.');
    const error = await confirm(customerKey, ctx.fakes.toss.authorize(customerKey)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PaymentFailedError);
    expect((error as PaymentFailedError).provider).toBe('TOSS');
    expect((error as PaymentFailedError).reason).toContain('한도초과');
    await nothingActivated(user);
    expect(await ctx.server.sql(`select status, billing_key_enc from checkouts where reference = ?`, [customerKey])).toEqual([{ status: 'FAILED', billing_key_enc: null }]);
    // The failed checkout cannot be replayed into a charge.
    await expect(confirm(customerKey, ctx.fakes.toss.authorize(customerKey))).rejects.toBeInstanceOf(NotFoundError);
  });

  it('an authKey Toss does not know with BAD_USER_INPUT, leaving the checkout usable', async () => {
    const user = await registerUser(ctx.server);
    const customerKey = (await tossCheckout(user)).customerKey;
    const error = await confirm(customerKey, 'bln_not_a_real_auth_key').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadUserInputError);
    expect((error as BadUserInputError).field).toBe('authKey');
    await nothingActivated(user);
    const { confirmTossBilling } = await confirm(customerKey, ctx.fakes.toss.authorize(customerKey));
    expect(confirmTossBilling.status).toBe('ACTIVE');
  });

  it('when Toss is not configured, with PROVIDER_NOT_CONFIGURED', async () => {
    const stripeOnly = await startTestServer({ env: billingEnv(ctx.fakes, ['stripe']) });
    try {
      const error = await stripeOnly.client().request(ConfirmTossBillingDocument, { input: { customerKey: 'cus_x', authKey: 'bln_x' } }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProviderNotConfiguredError);
    } finally {
      await stripeOnly.close();
    }
  });
});

describe('confirmTossBilling when Toss fails', () => {
  for (const mode of ['stall', 'error500'] as const) {
    it(`(${mode} while issuing the billing key) answers PROVIDER_ERROR in time and activates nothing; a retry works`, async () => {
      const user = await registerUser(ctx.server);
      const customerKey = (await tossCheckout(user)).customerKey;
      ctx.fakes.toss.fail(mode, { paths: ['/v1/billing/authorizations'] });
      const { error, ms } = await timed(() => confirm(customerKey, ctx.fakes.toss.authorize(customerKey)));
      expect(error).toBeInstanceOf(ProviderError);
      expect(ms).toBeLessThan(3_000);
      await nothingActivated(user);
      ctx.fakes.toss.fail('ok');
      await confirm(customerKey, ctx.fakes.toss.authorize(customerKey));
      expect(ctx.fakes.toss.charges).toHaveLength(1);
    });

    it(`(${mode} while charging) answers PROVIDER_ERROR in time and activates nothing; the retry charges once`, async () => {
      const user = await registerUser(ctx.server);
      const customerKey = (await tossCheckout(user)).customerKey;
      ctx.fakes.toss.fail(mode, { paths: tossChargePaths() });
      const { error, ms } = await timed(() => confirm(customerKey, ctx.fakes.toss.authorize(customerKey)));
      expect(error).toBeInstanceOf(ProviderError);
      expect(ms).toBeLessThan(3_000);
      await nothingActivated(user);
      expect(ctx.fakes.toss.charges).toHaveLength(0);
      // The authKey is used up, but the billing key was kept (encrypted) on the checkout: a retry resumes.
      ctx.fakes.toss.fail('ok');
      const { confirmTossBilling } = await confirm(customerKey, 'bln_already_used');
      expect(confirmTossBilling.status).toBe('ACTIVE');
      expect(ctx.fakes.toss.charges).toHaveLength(1);
    });
  }

  it('a charge Toss approved although its answer was lost is found by its order id, never charged twice', async () => {
    const user = await registerUser(ctx.server);
    const { checkout } = await user.client.request(CheckoutDocument, { input: { tier: 'PRO', provider: 'TOSS' } });
    const customerKey = checkout.toss!.customerKey;
    ctx.fakes.toss.fail('stall', { paths: tossChargePaths() });
    await expect(confirm(customerKey, ctx.fakes.toss.authorize(customerKey))).rejects.toBeInstanceOf(ProviderError);
    ctx.fakes.toss.fail('ok');
    // Toss did approve that very order (the answer never reached us).
    const billingKey = [...ctx.fakes.toss.billings.values()].find((b) => b.customerKey === customerKey)!.billingKey;
    const orderId = tossOrderId(checkout.sessionId, 0);
    const approved = await tossApi(ctx.fakes.toss, 'POST', `/v1/billing/${encodeURIComponent(billingKey)}`, { customerKey, amount: 39_000, orderId, orderName: 'x' });
    expect(approved.status).toBe(200);

    const { confirmTossBilling } = await confirm(customerKey, 'bln_already_used');
    expect(confirmTossBilling.status).toBe('ACTIVE');
    expect(ctx.fakes.toss.charges.map((c) => c.orderId)).toEqual([orderId]);
    expect((await user.client.request(UsageDocument)).usage.tier).toBe('PRO');
  });
});
