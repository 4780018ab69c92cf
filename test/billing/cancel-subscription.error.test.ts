import { describe, expect, it } from 'vitest';
import { CancelSubscriptionDocument, ForbiddenError, NotFoundError, ProviderError, SubscriptionDocument, UnauthenticatedError } from '../../sdk/index.js';
import { Provider, Tier } from '../../src/entities/enums.js';
import { grantTier, registerUser } from '../support/accounts.js';
import { LEMON, seedSubscription, timed, seedStripeSubscription, useBillingServer } from '../support/billing.js';

const ctx = useBillingServer({ env: { PROVIDER_TIMEOUT_MS: '400' } });

describe('cancelSubscription refuses', () => {
  it('anonymous callers and FREE users', async () => {
    await expect(ctx.server.client().request(CancelSubscriptionDocument)).rejects.toBeInstanceOf(UnauthenticatedError);
    const user = await registerUser(ctx.server);
    const error = await user.client.request(CancelSubscriptionDocument).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ForbiddenError);
    expect((error as ForbiddenError).requiredTier).toBe('PRO');
  });

  it('a plan held only through a grant with NOT_FOUND', async () => {
    const user = await registerUser(ctx.server);
    await grantTier(ctx.server, user.id, Tier.TEAM);
    await expect(user.client.request(CancelSubscriptionDocument)).rejects.toBeInstanceOf(NotFoundError);
  });

  for (const mode of ['stall', 'error500'] as const) {
    it(`(${mode}) a provider failure with PROVIDER_ERROR in time, the subscription unchanged`, async () => {
      const user = await registerUser(ctx.server);
      await seedStripeSubscription(ctx, user.id);
      ctx.fakes.stripe.fail(mode);
      const { error, ms } = await timed(() => user.client.request(CancelSubscriptionDocument));
      expect(error).toBeInstanceOf(ProviderError);
      expect(ms).toBeLessThan(3_000);
      expect((await user.client.request(SubscriptionDocument)).subscription).toMatchObject({ status: 'ACTIVE', cancelAtPeriodEnd: false });
      expect(await ctx.server.sql(`select id from subscription_events where user_id = ?`, [user.id])).toEqual([]);
    });
  }

  it('Lemon Squeezy failing the same way', async () => {
    const user = await registerUser(ctx.server);
    const lemon = ctx.fakes.lemon.createSubscription({ variantId: LEMON.variantPro });
    await seedSubscription(ctx.server, { userId: user.id, provider: Provider.LEMON_SQUEEZY, providerSubscriptionId: lemon.id });
    ctx.fakes.lemon.fail('error500');
    await expect(user.client.request(CancelSubscriptionDocument)).rejects.toBeInstanceOf(ProviderError);
    expect((await user.client.request(SubscriptionDocument)).subscription!.status).toBe('ACTIVE');
  });
});
