import { describe, expect, it } from 'vitest';
import { ApiKeysDocument, BadUserInputError, CheckoutDocument, UnauthenticatedError, createClient } from '../../sdk/index.js';
import { registerUser, uniqueEmail } from '../support/accounts.js';
import { Provider } from '../../src/entities/enums.js';
import { ADMIN_KEY, seedSubscription, useBillingServer } from '../support/billing.js';

const ctx = useBillingServer({ env: { CORS_ORIGINS: 'http://localhost:8080,https://app.example.com' } });

describe('checkout redirect URLs (no open redirects)', () => {
  const refused = [
    'https://evil.example.com/billing/success',
    'http://localhost:8080.evil.com/x',
    'http://localhost:8080@evil.com/x',
    'https://localhost:8080/billing/success', // another scheme is another origin
    'http://localhost:9090/billing/success', // another port
    'javascript:alert(1)',
    '//evil.example.com/x',
    '/relative/path',
  ];

  for (const url of refused) {
    it(`refuses successUrl ${url} with BAD_USER_INPUT before calling any provider`, async () => {
      const email = uniqueEmail();
      const error = await ctx.server.client().request(CheckoutDocument, { input: { tier: 'PRO', provider: 'STRIPE', email, successUrl: url } }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BadUserInputError);
      expect((error as BadUserInputError).field).toBe('successUrl');
      expect(ctx.fakes.stripe.requests).toHaveLength(0);
      expect(await ctx.server.sql(`select id from users where email = ?`, [email])).toEqual([]);
    });
  }

  it('refuses a foreign cancelUrl the same way, for every provider', async () => {
    for (const provider of ['STRIPE', 'LEMON_SQUEEZY', 'TOSS', 'DEMO'] as const) {
      const error = await ctx.server
        .client()
        .request(CheckoutDocument, { input: { tier: 'PRO', provider, email: uniqueEmail(), cancelUrl: 'https://evil.example.com/' } })
        .catch((e: unknown) => e);
      expect((error as BadUserInputError).field).toBe('cancelUrl');
    }
  });

  it('accepts a URL on one of CORS_ORIGINS', async () => {
    const user = await registerUser(ctx.server);
    await user.client.request(CheckoutDocument, { input: { tier: 'PRO', provider: 'STRIPE', successUrl: 'https://app.example.com/thanks' } });
    expect((ctx.fakes.stripe.lastRequest('POST', '/v1/checkout/sessions')!.body as Record<string, unknown>).success_url).toBe('https://app.example.com/thanks');
  });
});

describe('checkout identity', () => {
  it('refuses a key that is presented but invalid instead of falling back to the email', async () => {
    const owner = await registerUser(ctx.server);
    for (const key of ['sk-stellar-' + '0'.repeat(32), ADMIN_KEY]) {
      const client = createClient({ url: ctx.server.graphqlUrl, apiKey: key });
      const error = await client.request(CheckoutDocument, { input: { tier: 'PRO', provider: 'STRIPE', email: owner.email } }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnauthenticatedError);
    }
    expect(ctx.fakes.stripe.requests).toHaveLength(0);
  });

  it("never hands out a key for someone else's email, nor changes that account's keys", async () => {
    const owner = await registerUser(ctx.server);
    // Reading the keys uses one, so its lastUsedAt may move whenever the usage flush runs: not a change to compare.
    const keys = async () => (await owner.client.request(ApiKeysDocument)).apiKeys.map(({ lastUsedAt: _used, ...key }) => key);
    const before = await keys();
    for (const provider of ['STRIPE', 'LEMON_SQUEEZY', 'TOSS', 'DEMO'] as const) {
      const { checkout } = await ctx.server.client().request(CheckoutDocument, { input: { tier: 'PRO', provider, email: owner.email.toUpperCase() } });
      expect(checkout.apiKey).toBeNull();
    }
    expect(await keys()).toEqual(before);
    expect(await ctx.server.sql(`select count(*)::int as n from api_keys where user_id = ?`, [owner.id])).toEqual([{ n: 1 }]);
  });

  it('keeps the provider secrets out of every answer', async () => {
    const { checkout } = await ctx.server.client().request(CheckoutDocument, { input: { tier: 'PRO', provider: 'TOSS', email: uniqueEmail() } });
    const text = JSON.stringify(checkout);
    expect(text).not.toContain('test_sk_');
    expect(text).not.toContain('sk_test_');
  });
});

describe('anonymous checkout for an existing email (issue 15, finding 8)', () => {
  it('answers the same whether or not the account pays: it tells nobody who the customers are', async () => {
    const free = await registerUser(ctx.server);
    const paying = await registerUser(ctx.server);
    await seedSubscription(ctx.server, { userId: paying.id, provider: Provider.STRIPE });
    for (const provider of ['STRIPE', 'LEMON_SQUEEZY', 'TOSS', 'DEMO'] as const) {
      const answer = async (email: string) => {
        const result = await ctx.server.client().raw(CheckoutDocument, { input: { tier: 'TEAM', provider, email } });
        const checkout = result.data?.checkout;
        // What differs between any two checkouts (ids, URLs, keys) is replaced by its kind.
        return {
          status: result.status,
          errors: result.errors.map((e) => ({ message: e.message, code: e.extensions?.code })),
          checkout: checkout && { provider: checkout.provider, apiKey: checkout.apiKey, url: typeof checkout.url, toss: checkout.toss === null ? null : Object.keys(checkout.toss) },
        };
      };
      const forFree = await answer(free.email);
      expect(forFree.errors).toEqual([]);
      expect(await answer(paying.email)).toEqual(forFree);
    }
  });

  it('a caller with the paying account\'s key is still refused a second renewing subscription', async () => {
    const paying = await registerUser(ctx.server);
    await seedSubscription(ctx.server, { userId: paying.id, provider: Provider.STRIPE });
    const error = await paying.client.request(CheckoutDocument, { input: { tier: 'TEAM', provider: 'STRIPE' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadUserInputError);
  });
});
