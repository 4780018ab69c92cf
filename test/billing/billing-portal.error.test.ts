import { describe, expect, it } from 'vitest';
import { BillingPortalDocument, ForbiddenError, NotFoundError, ProviderError, UnauthenticatedError } from '../../sdk/index.js';
import { Tier } from '../../src/entities/enums.js';
import { grantTier, registerUser } from '../support/accounts.js';
import { timed, seedStripeSubscription, useBillingServer } from '../support/billing.js';

const ctx = useBillingServer({ env: { PROVIDER_TIMEOUT_MS: '400' } });

describe('billingPortal refuses', () => {
  it('anonymous callers with UNAUTHENTICATED', async () => {
    await expect(ctx.server.client().request(BillingPortalDocument)).rejects.toBeInstanceOf(UnauthenticatedError);
  });

  it('FREE users with FORBIDDEN (requiredTier PRO)', async () => {
    const user = await registerUser(ctx.server);
    const error = await user.client.request(BillingPortalDocument).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ForbiddenError);
    expect((error as ForbiddenError).requiredTier).toBe('PRO');
  });

  it('a plan held only through a grant with NOT_FOUND (there is nothing to manage)', async () => {
    const user = await registerUser(ctx.server);
    await grantTier(ctx.server, user.id, Tier.PRO);
    await expect(user.client.request(BillingPortalDocument)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('a provider that fails with PROVIDER_ERROR within the timeout', async () => {
    const user = await registerUser(ctx.server);
    await seedStripeSubscription(ctx, user.id);
    ctx.fakes.stripe.fail('stall');
    const { error, ms } = await timed(() => user.client.request(BillingPortalDocument));
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).provider).toBe('STRIPE');
    expect(ms).toBeLessThan(3_000);
  });
});
