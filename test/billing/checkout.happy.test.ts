import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { ApiKeysDocument, CheckoutDocument, MeDocument, PlansDocument, UsageDocument } from '../../sdk/index.js';
import { Provider } from '../../src/entities/enums.js';
import { registerUser, uniqueEmail } from '../support/accounts.js';
import { LEMON, STRIPE, TOSS, seedSubscription, useBillingServer } from '../support/billing.js';

const ctx = useBillingServer({});

const PUBLIC = 'http://localhost:8080';

describe('checkout with Stripe', () => {
  it('creates a subscription-mode Checkout Session for the tier price, tied to the user', async () => {
    const user = await registerUser(ctx.server);
    const { checkout } = await user.client.request(CheckoutDocument, { input: { tier: 'PRO', provider: 'STRIPE' } });

    const request = ctx.fakes.stripe.lastRequest('POST', '/v1/checkout/sessions')!;
    expect(request.headers.authorization).toBe(`Bearer ${STRIPE.secretKey}`);
    expect(request.headers['stripe-version']).toBe(Stripe.API_VERSION);
    expect(request.body).toEqual({
      mode: 'subscription',
      line_items: [{ price: STRIPE.pricePro, quantity: '1' }],
      client_reference_id: user.id,
      metadata: { user_id: user.id, checkout_id: expect.stringMatching(/^[0-9a-f-]{36}$/) },
      subscription_data: { metadata: { user_id: user.id } },
      success_url: `${PUBLIC}/billing/success`,
      cancel_url: `${PUBLIC}/billing/cancel`,
      customer_email: user.email,
    });
    const session = [...ctx.fakes.stripe.checkoutSessions.values()].at(-1)!;
    expect(checkout).toEqual({ provider: 'STRIPE', sessionId: session.id, url: session.url, toss: null, apiKey: null });

    const [row] = await ctx.server.sql(`select user_id, provider, tier, reference, status from checkouts where reference = ?`, [session.id]);
    expect(row).toEqual({ user_id: user.id, provider: 'STRIPE', tier: 'PRO', reference: session.id, status: 'OPEN' });
  });

  it('uses the TEAM price and the caller-given URLs on an allowed origin', async () => {
    const user = await registerUser(ctx.server);
    await user.client.request(CheckoutDocument, {
      input: { tier: 'TEAM', provider: 'STRIPE', successUrl: `${PUBLIC}/done?x=1`, cancelUrl: `${PUBLIC}/#pricing` },
    });
    const body = ctx.fakes.stripe.lastRequest('POST', '/v1/checkout/sessions')!.body as Record<string, unknown>;
    expect(body.line_items).toEqual([{ price: STRIPE.priceTeam, quantity: '1' }]);
    expect(body.success_url).toBe(`${PUBLIC}/done?x=1`);
    expect(body.cancel_url).toBe(`${PUBLIC}/#pricing`);
  });

  it('reuses the Stripe customer of a caller who had a Stripe subscription', async () => {
    const user = await registerUser(ctx.server);
    const customer = ctx.fakes.stripe.createSubscription({ price: STRIPE.pricePro, status: 'canceled' }).customer as string;
    await seedSubscription(ctx.server, { userId: user.id, provider: Provider.STRIPE, providerCustomerId: customer, status: 'EXPIRED' as never });

    await user.client.request(CheckoutDocument, { input: { tier: 'PRO', provider: 'STRIPE' } });
    const body = ctx.fakes.stripe.lastRequest('POST', '/v1/checkout/sessions')!.body as Record<string, unknown>;
    expect(body.customer).toBe(customer);
    expect(body.customer_email).toBeUndefined();
  });
});

describe('checkout with Lemon Squeezy', () => {
  it('posts a JSON:API checkout for the tier variant with the user id as custom data', async () => {
    const user = await registerUser(ctx.server);
    const { checkout } = await user.client.request(CheckoutDocument, { input: { tier: 'PRO', provider: 'LEMON_SQUEEZY' } });

    const request = ctx.fakes.lemon.lastRequest('POST', '/v1/checkouts')!;
    expect(request.headers.authorization).toBe(`Bearer ${LEMON.apiKey}`);
    expect(request.headers.accept).toBe('application/vnd.api+json');
    expect(request.headers['content-type']).toBe('application/vnd.api+json');
    expect(request.body).toEqual({
      data: {
        type: 'checkouts',
        attributes: {
          checkout_data: { email: user.email, custom: { user_id: user.id } },
          product_options: { redirect_url: `${PUBLIC}/billing/success` },
        },
        relationships: {
          store: { data: { type: 'stores', id: LEMON.storeId } },
          variant: { data: { type: 'variants', id: LEMON.variantPro } },
        },
      },
    });
    const created = [...ctx.fakes.lemon.checkouts.values()].at(-1)!;
    expect(checkout).toMatchObject({ provider: 'LEMON_SQUEEZY', sessionId: created.id, url: created.url, toss: null, apiKey: null });
  });

  it('uses the TEAM variant', async () => {
    const user = await registerUser(ctx.server);
    await user.client.request(CheckoutDocument, { input: { tier: 'TEAM', provider: 'LEMON_SQUEEZY' } });
    expect(ctx.fakes.lemon.lastRequest('POST', '/v1/checkouts')!.body).toMatchObject({
      data: { relationships: { variant: { data: { type: 'variants', id: LEMON.variantTeam } } } },
    });
  });
});

describe('checkout with TossPayments', () => {
  it('returns the browser SDK payload bound to a stored checkout, without calling Toss', async () => {
    const user = await registerUser(ctx.server);
    const { checkout } = await user.client.request(CheckoutDocument, { input: { tier: 'PRO', provider: 'TOSS' } });

    expect(ctx.fakes.toss.requests).toHaveLength(0);
    expect(checkout.url).toBeNull();
    expect(checkout.toss).toEqual({
      clientKey: TOSS.clientKey,
      customerKey: expect.stringMatching(/^cus_[A-Za-z0-9_-]{32}$/),
      amount: 39_000,
      orderName: 'Stellar Memory Pro (monthly)',
      successUrl: `${PUBLIC}/billing/toss/success`,
      failUrl: `${PUBLIC}/billing/toss/fail`,
    });
    const [row] = await ctx.server.sql(`select id, user_id, tier, status from checkouts where reference = ?`, [checkout.toss!.customerKey]);
    expect(row).toEqual({ id: checkout.sessionId, user_id: user.id, tier: 'PRO', status: 'OPEN' });
  });

  it('prices TEAM at 129,000 KRW and gives every checkout its own customerKey', async () => {
    const user = await registerUser(ctx.server);
    const first = await user.client.request(CheckoutDocument, { input: { tier: 'TEAM', provider: 'TOSS' } });
    const second = await user.client.request(CheckoutDocument, { input: { tier: 'TEAM', provider: 'TOSS' } });
    expect(first.checkout.toss!.amount).toBe(129_000);
    expect(first.checkout.toss!.orderName).toBe('Stellar Memory Team (monthly)');
    expect(first.checkout.toss!.customerKey).not.toBe(second.checkout.toss!.customerKey);
  });
});

describe('checkout with the demo provider', () => {
  it('links to a local page whose pay button activates the plan', async () => {
    const user = await registerUser(ctx.server);
    const { checkout } = await user.client.request(CheckoutDocument, { input: { tier: 'PRO', provider: 'DEMO' } });
    expect(checkout.url).toBe(`${PUBLIC}/billing/demo/${checkout.sessionId}`);

    const page = await fetch(`${ctx.server.url}/billing/demo/${checkout.sessionId}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('data-testid="demo-pay"');
    expect(html).toContain(user.email);

    const paid = await fetch(`${ctx.server.url}/billing/demo/${checkout.sessionId}/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
      redirect: 'manual',
    });
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toBe(`${PUBLIC}/billing/success`);

    const { usage } = await user.client.request(UsageDocument);
    expect(usage.tier).toBe('PRO');
    expect(usage.limits.maxMemories).toBe(50_000);
    const { me } = await user.client.request(MeDocument);
    expect(me.subscription).toMatchObject({ provider: 'DEMO', tier: 'PRO', status: 'ACTIVE', cancelAtPeriodEnd: false });

    // Paid once: the page and the button are gone.
    expect((await fetch(`${ctx.server.url}/billing/demo/${checkout.sessionId}`)).status).toBe(404);
    const again = await fetch(`${ctx.server.url}/billing/demo/${checkout.sessionId}/pay`, { method: 'POST', redirect: 'manual' });
    expect(again.status).toBe(404);
  });
});

describe('checkout without a key', () => {
  it('creates a FREE account for a new email and returns its first key once', async () => {
    const email = uniqueEmail('buyer');
    const { checkout } = await ctx.server.client().request(CheckoutDocument, { input: { tier: 'PRO', provider: 'STRIPE', email: `  ${email.toUpperCase()} ` } });

    expect(checkout.apiKey?.secret).toMatch(/^sk-stellar-[0-9a-f]{32}$/);
    const buyer = ctx.server.client(checkout.apiKey!.secret);
    const { me } = await buyer.request(MeDocument);
    expect(me).toMatchObject({ email, tier: 'FREE' });
    // The provider was told about that very account.
    const body = ctx.fakes.stripe.lastRequest('POST', '/v1/checkout/sessions')!.body as Record<string, unknown>;
    expect(body.client_reference_id).toBe(me.id);
    expect(body.customer_email).toBe(email);
    const { apiKeys } = await buyer.request(ApiKeysDocument);
    expect(apiKeys).toHaveLength(1);
  });

  it('attaches an existing email to its account and returns no key, leaving its keys alone', async () => {
    const owner = await registerUser(ctx.server);
    const before = (await owner.client.request(ApiKeysDocument)).apiKeys;

    const { checkout } = await ctx.server.client().request(CheckoutDocument, { input: { tier: 'PRO', provider: 'LEMON_SQUEEZY', email: owner.email } });
    expect(checkout.apiKey).toBeNull();
    const body = ctx.fakes.lemon.lastRequest('POST', '/v1/checkouts')!.body;
    expect(body).toMatchObject({ data: { attributes: { checkout_data: { custom: { user_id: owner.id } } } } });

    expect((await owner.client.request(ApiKeysDocument)).apiKeys).toEqual(before);
    expect((await owner.client.request(MeDocument)).me.id).toBe(owner.id);
  });

  it('with a valid key ignores the email and checks out for the caller', async () => {
    const caller = await registerUser(ctx.server);
    const other = await registerUser(ctx.server);
    const { checkout } = await caller.client.request(CheckoutDocument, { input: { tier: 'PRO', provider: 'STRIPE', email: other.email } });
    expect(checkout.apiKey).toBeNull();
    const body = ctx.fakes.stripe.lastRequest('POST', '/v1/checkout/sessions')!.body as Record<string, unknown>;
    expect(body.client_reference_id).toBe(caller.id);
    expect(body.customer_email).toBe(caller.email);
  });
});

describe('plans', () => {
  it('prices PRO and TEAM for every configured provider plus DEMO', async () => {
    const { plans } = await ctx.server.client().request(PlansDocument);
    const pro = plans.find((p) => p.tier === 'PRO')!;
    expect(pro.prices.map((p) => p.provider)).toEqual(['STRIPE', 'LEMON_SQUEEZY', 'TOSS', 'DEMO']);
    expect(pro.prices.find((p) => p.provider === 'TOSS')).toEqual({ provider: 'TOSS', amount: 39_000, currency: 'KRW', interval: 'month' });
  });
});
