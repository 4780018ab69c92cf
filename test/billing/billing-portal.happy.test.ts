import { describe, expect, it } from 'vitest';
import { BillingPortalDocument } from '../../sdk/index.js';
import { Provider } from '../../src/entities/enums.js';
import { registerUser } from '../support/accounts.js';
import { LEMON, STRIPE, seedSubscription, seedStripeSubscription, useBillingServer } from '../support/billing.js';

const ctx = useBillingServer({});

describe('billingPortal', () => {
  it('Stripe: a billing portal session for the subscription customer', async () => {
    const user = await registerUser(ctx.server);
    const remote = await seedStripeSubscription(ctx, user.id);

    const { billingPortal } = await user.client.request(BillingPortalDocument);
    const request = ctx.fakes.stripe.lastRequest('POST', '/v1/billing_portal/sessions')!;
    expect(request.headers.authorization).toBe(`Bearer ${STRIPE.secretKey}`);
    expect(request.body).toEqual({ customer: remote.customer, return_url: 'http://localhost:8080/billing/manage' });
    expect(billingPortal.url).toMatch(/^https:\/\/billing\.stripe\.com\/p\/session\//);
  });

  it("Lemon Squeezy: the subscription's customer_portal, fetched fresh each time", async () => {
    const user = await registerUser(ctx.server);
    const remote = ctx.fakes.lemon.createSubscription({ variantId: LEMON.variantPro, userId: user.id });
    await seedSubscription(ctx.server, { userId: user.id, provider: Provider.LEMON_SQUEEZY, providerSubscriptionId: remote.id });

    const first = (await user.client.request(BillingPortalDocument)).billingPortal.url;
    const second = (await user.client.request(BillingPortalDocument)).billingPortal.url;
    expect(first).toMatch(/^https:\/\/stellar-test\.lemonsqueezy\.com\/billing\?expires=/);
    expect(second).not.toBe(first);
    const reads = ctx.fakes.lemon.requests.filter((r) => r.method === 'GET' && r.path === `/v1/subscriptions/${remote.id}`);
    expect(reads).toHaveLength(2);
    expect(reads[0]!.headers.authorization).toBe(`Bearer ${LEMON.apiKey}`);
  });

  it('Toss and Demo: our own /billing/manage page, without calling anyone', async () => {
    for (const provider of [Provider.TOSS, Provider.DEMO]) {
      const user = await registerUser(ctx.server);
      await seedSubscription(ctx.server, { userId: user.id, provider, currency: 'KRW', amount: 39_000 });
      const { billingPortal } = await user.client.request(BillingPortalDocument);
      expect(billingPortal.url).toBe('http://localhost:8080/billing/manage');
    }
    expect(ctx.fakes.toss.requests).toHaveLength(0);
    expect((await fetch(`${ctx.server.url}/billing/manage`)).status).toBe(200);
  });
});
