import { describe, expect, it } from 'vitest';
import { BadUserInputError, CheckoutDocument, PlansDocument, ProviderError, ProviderNotConfiguredError, RegisterDocument, type CheckoutMutationVariables } from '../../sdk/index.js';
import { Provider } from '../../src/entities/enums.js';
import { registerUser, uniqueEmail } from '../support/accounts.js';
import { billingEnv, seedSubscription, timed, useBillingServer } from '../support/billing.js';
import { startTestServer, useTestServer } from '../support/server.js';

const ctx = useBillingServer({ env: { PROVIDER_TIMEOUT_MS: '400' } });

const checkoutAs = (input: CheckoutMutationVariables['input'], key?: string) => ctx.server.client(key).request(CheckoutDocument, { input });

const checkoutCount = async () => (await ctx.server.sql<{ n: number }>(`select count(*)::int as n from checkouts`))[0]!.n;

async function nothingStoredFor(email: string, checkoutsBefore: number) {
  expect(await ctx.server.sql(`select id from users where email = ?`, [email])).toEqual([]);
  expect(await checkoutCount()).toBe(checkoutsBefore);
}

describe('checkout refuses', () => {
  it('FREE, which needs no checkout', async () => {
    const error = await checkoutAs({ tier: 'FREE', provider: 'STRIPE', email: uniqueEmail() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadUserInputError);
    expect((error as BadUserInputError).field).toBe('tier');
  });

  it('a missing or malformed email without a key', async () => {
    for (const email of [undefined, '', 'not-an-email']) {
      const error = await checkoutAs({ tier: 'PRO', provider: 'STRIPE', email }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BadUserInputError);
      expect((error as BadUserInputError).field).toBe('email');
    }
    expect(ctx.fakes.stripe.requests).toHaveLength(0);
  });

  it('a second checkout while a renewing subscription exists (no double charge)', async () => {
    const user = await registerUser(ctx.server);
    await seedSubscription(ctx.server, { userId: user.id, provider: Provider.STRIPE });
    const error = await checkoutAs({ tier: 'TEAM', provider: 'STRIPE' }, user.secret).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadUserInputError);
    expect((error as BadUserInputError).field).toBe('tier');
    expect(ctx.fakes.stripe.requests).toHaveLength(0);
  });
});

describe('a provider that is not configured', () => {
  const stripeOnly = useTestServer(() => ({ env: billingEnv(ctx.fakes, ['stripe']) }));

  it('is neither priced by plans nor accepted by checkout', async () => {
    const { plans } = await stripeOnly.server.client().request(PlansDocument);
    expect(plans.find((p) => p.tier === 'PRO')!.prices.map((p) => p.provider)).toEqual(['STRIPE', 'DEMO']);
    for (const provider of ['LEMON_SQUEEZY', 'TOSS'] as const) {
      const email = uniqueEmail();
      const error = await stripeOnly.server.client().request(CheckoutDocument, { input: { tier: 'PRO', provider, email } }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProviderNotConfiguredError);
      expect((error as ProviderNotConfiguredError).provider).toBe(provider);
      expect(await stripeOnly.server.sql(`select id from users where email = ?`, [email])).toEqual([]);
    }
  });
});

describe('in production', () => {
  const production = useTestServer(() => ({ env: { ...billingEnv(ctx.fakes, ['stripe']), NODE_ENV: 'production' } }));

  it('the demo provider is neither priced nor accepted, and its pages and webhook route do not exist', async () => {
    const { plans } = await production.server.client().request(PlansDocument);
    expect(plans.find((p) => p.tier === 'PRO')!.prices.map((p) => p.provider)).toEqual(['STRIPE']);
    const error = await production.server.client().request(CheckoutDocument, { input: { tier: 'PRO', provider: 'DEMO', email: uniqueEmail() } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderNotConfiguredError);
    expect((await fetch(`${production.server.url}/billing/demo/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
    // Nor does its webhook route; the real providers' routes do.
    expect((await fetch(`${production.server.url}/webhooks/demo`, { method: 'POST', body: '{}' })).status).toBe(404);
    expect((await fetch(`${production.server.url}/webhooks/stripe`, { method: 'POST', body: '{}' })).status).toBe(401);
  });
});

describe('a failing provider', () => {
  for (const mode of ['stall', 'error500'] as const) {
    it(`Stripe (${mode}): PROVIDER_ERROR within the timeout, no account, no checkout`, async () => {
      const before = await checkoutCount();
      ctx.fakes.stripe.fail(mode);
      const email = uniqueEmail('stripe-down');
      const { error, ms } = await timed(() => checkoutAs({ tier: 'PRO', provider: 'STRIPE', email }));
      expect(error).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).provider).toBe('STRIPE');
      expect(ms).toBeLessThan(3_000);
      await nothingStoredFor(email, before);

      // The email is not a trap: once Stripe answers, the same buyer gets an account and a key.
      ctx.fakes.stripe.fail('ok');
      const { checkout } = await checkoutAs({ tier: 'PRO', provider: 'STRIPE', email });
      expect(checkout.apiKey?.secret).toMatch(/^sk-stellar-/);
    });

    it(`Lemon Squeezy (${mode}): PROVIDER_ERROR within the timeout, no account, no checkout`, async () => {
      const before = await checkoutCount();
      ctx.fakes.lemon.fail(mode);
      const email = uniqueEmail('lemon-down');
      const { error, ms } = await timed(() => checkoutAs({ tier: 'PRO', provider: 'LEMON_SQUEEZY', email }));
      expect(error).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).provider).toBe('LEMON_SQUEEZY');
      expect(ms).toBeLessThan(3_000);
      await nothingStoredFor(email, before);
      // Registering the email afterwards works: nothing half-made holds it.
      ctx.fakes.lemon.fail('ok');
      const { register } = await ctx.server.client().request(RegisterDocument, { input: { email } });
      expect(register.user.email).toBe(email);
    });
  }

  it('a provider refusing the request (e.g. an unknown price) is PROVIDER_ERROR too', async () => {
    const misconfigured = await startTestServer({ env: { ...billingEnv(ctx.fakes, ['stripe']), STRIPE_PRICE_PRO: 'price_that_does_not_exist' } });
    try {
      const email = uniqueEmail();
      const error = await misconfigured.client().request(CheckoutDocument, { input: { tier: 'PRO', provider: 'STRIPE', email } }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProviderError);
      expect(await misconfigured.sql(`select id from users where email = ?`, [email])).toEqual([]);
    } finally {
      await misconfigured.close();
    }
  });
});
