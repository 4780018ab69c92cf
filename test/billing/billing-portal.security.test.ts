import { describe, expect, it } from 'vitest';
import { BillingPortalDocument, CheckoutDocument, ConfirmTossBillingDocument, ForbiddenError, CancelSubscriptionDocument } from '../../sdk/index.js';
import { registerUser } from '../support/accounts.js';
import { seedStripeSubscription, useBillingServer } from '../support/billing.js';
import { useTestServer } from '../support/server.js';

const ctx = useBillingServer({});

describe('billingPortal isolation', () => {
  it("opens the caller's own customer, never another user's", async () => {
    const [alice, bob] = [await registerUser(ctx.server), await registerUser(ctx.server)];
    const a = await seedStripeSubscription(ctx, alice.id);
    const b = await seedStripeSubscription(ctx, bob.id);
    await alice.client.request(BillingPortalDocument);
    expect((ctx.fakes.stripe.lastRequest('POST', '/v1/billing_portal/sessions')!.body as Record<string, unknown>).customer).toBe(a.customer);
    await bob.client.request(BillingPortalDocument);
    expect((ctx.fakes.stripe.lastRequest('POST', '/v1/billing_portal/sessions')!.body as Record<string, unknown>).customer).toBe(b.customer);
  });
});

describe('billing in self-hosted mode', () => {
  const OWNER_KEY = 'self-hosted-owner-key-0123456789';
  const selfHosted = useTestServer({ env: { STELLAR_BILLING_ENABLED: 'false', STELLAR_API_KEY: OWNER_KEY } });

  it('answers every billing operation with FORBIDDEN "billing is disabled" and serves no billing pages', async () => {
    const owner = selfHosted.server.client(OWNER_KEY);
    for (const call of [
      () => selfHosted.server.client().request(CheckoutDocument, { input: { tier: 'PRO', provider: 'DEMO', email: 'a@example.com' } }),
      () => selfHosted.server.client().request(ConfirmTossBillingDocument, { input: { customerKey: 'cus_x', authKey: 'bln_x' } }),
      () => owner.request(BillingPortalDocument),
      () => owner.request(CancelSubscriptionDocument),
    ]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ForbiddenError);
      expect((error as ForbiddenError).message).toBe('billing is disabled');
    }
    expect((await fetch(`${selfHosted.server.url}/billing/success`)).status).toBe(404);
  });
});
