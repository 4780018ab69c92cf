import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { CheckoutDocument, ConfirmTossBillingDocument, type StellarClient } from '../../sdk/index.js';
import { Provider, SubscriptionStatus, Tier } from '../../src/entities/enums.js';
import { startFakeLemon, startFakeStripe, startFakeToss, type FakeLemon, type FakeStripe, type FakeToss, type SubscriptionInput, type WireSubscription } from '../fakes/index.js';
import type { LogCapture } from './logs.js';
import { useTestServer, type TestServer } from './server.js';

/** Provider credentials the fakes expect and the server is configured with. */
export const STRIPE = {
  secretKey: 'sk_test_stellar_fake_0123456789',
  webhookSecret: 'whsec_stellar_fake_secret',
  pricePro: 'price_pro_monthly',
  priceTeam: 'price_team_monthly',
};
export const LEMON = {
  apiKey: 'lemon_test_api_key_0123456789',
  storeId: '4242',
  variantPro: '1001',
  variantTeam: '1002',
  webhookSecret: 'lemon_webhook_signing_secret',
};
export const TOSS = {
  secretKey: 'test_sk_stellar_fake_0123456789',
  clientKey: 'test_ck_stellar_fake_0123456789',
  webhookSecret: 'toss_webhook_security_key',
};
export const BILLING_KEY_SECRET_HEX = 'a1'.repeat(32);
export const ADMIN_KEY = 'admin-key-for-billing-tests-0001';

export interface ProviderFakes {
  stripe: FakeStripe;
  lemon: FakeLemon;
  toss: FakeToss;
  reset(): void;
  close(): Promise<void>;
}

export async function startProviderFakes(): Promise<ProviderFakes> {
  const [stripe, lemon, toss] = await Promise.all([
    startFakeStripe({
      secretKey: STRIPE.secretKey,
      prices: {
        [STRIPE.pricePro]: { unitAmount: 2900, currency: 'usd', interval: 'month' },
        [STRIPE.priceTeam]: { unitAmount: 9900, currency: 'usd', interval: 'month' },
      },
    }),
    startFakeLemon({
      apiKey: LEMON.apiKey,
      storeId: LEMON.storeId,
      variants: { [LEMON.variantPro]: { name: 'Pro', price: 2900 }, [LEMON.variantTeam]: { name: 'Team', price: 9900 } },
    }),
    startFakeToss({ secretKey: TOSS.secretKey }),
  ]);
  return {
    stripe,
    lemon,
    toss,
    reset() {
      stripe.reset();
      lemon.reset();
      toss.reset();
    },
    async close() {
      await Promise.all([stripe.close(), lemon.close(), toss.close()]);
    },
  };
}

export type ProviderName = 'stripe' | 'lemon' | 'toss';

/** Server environment with the given providers pointed at the fakes (all three by default). */
export function billingEnv(fakes: ProviderFakes, providers: ProviderName[] = ['stripe', 'lemon', 'toss']): Record<string, string> {
  const env: Record<string, string> = {
    PUBLIC_RATE_LIMIT: '100000',
    UNSIGNED_WEBHOOK_RATE_LIMIT: '100000',
    PROVIDER_TIMEOUT_MS: '1500',
    ADMIN_API_KEY: ADMIN_KEY,
  };
  if (providers.includes('stripe')) {
    Object.assign(env, {
      STRIPE_SECRET_KEY: STRIPE.secretKey,
      STRIPE_WEBHOOK_SECRET: STRIPE.webhookSecret,
      STRIPE_PRICE_PRO: STRIPE.pricePro,
      STRIPE_PRICE_TEAM: STRIPE.priceTeam,
      STRIPE_API_URL: fakes.stripe.url,
    });
  }
  if (providers.includes('lemon')) {
    Object.assign(env, {
      LEMON_API_KEY: LEMON.apiKey,
      LEMON_STORE_ID: LEMON.storeId,
      LEMON_VARIANT_PRO: LEMON.variantPro,
      LEMON_VARIANT_TEAM: LEMON.variantTeam,
      LEMON_WEBHOOK_SECRET: LEMON.webhookSecret,
      LEMON_API_URL: fakes.lemon.url,
    });
  }
  if (providers.includes('toss')) {
    Object.assign(env, {
      TOSS_SECRET_KEY: TOSS.secretKey,
      TOSS_CLIENT_KEY: TOSS.clientKey,
      TOSS_WEBHOOK_SECRET: TOSS.webhookSecret,
      TOSS_API_URL: fakes.toss.url,
      BILLING_KEY_SECRET: BILLING_KEY_SECRET_HEX,
    });
  }
  return env;
}

export interface SubscriptionSeed {
  userId: string;
  provider: Provider;
  providerSubscriptionId?: string;
  providerCustomerId?: string | null;
  tier?: Tier;
  status?: SubscriptionStatus;
  currentPeriodEnd?: Date | null;
  cancelAtPeriodEnd?: boolean;
  stateAt?: Date;
  amount?: number;
  currency?: string;
}

/** Puts a subscription row in place the way an applied webhook would leave it, and announces it. */
export async function seedSubscription(server: Pick<TestServer, 'sql' | 'rt'>, seed: SubscriptionSeed): Promise<string> {
  const id = randomUUID();
  await server.sql(
    `insert into subscriptions (id, user_id, provider, provider_subscription_id, provider_customer_id, tier, status, current_period_end,
       cancel_at_period_end, state_at, amount, currency)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      id,
      seed.userId,
      seed.provider,
      seed.providerSubscriptionId ?? `sub_${randomBytes(8).toString('hex')}`,
      seed.providerCustomerId ?? null,
      seed.tier ?? Tier.PRO,
      seed.status ?? SubscriptionStatus.ACTIVE,
      seed.currentPeriodEnd === undefined ? new Date(Date.now() + 30 * 86_400_000) : seed.currentPeriodEnd,
      seed.cancelAtPeriodEnd ?? false,
      seed.stateAt ?? new Date(Date.now() - 60_000),
      seed.amount ?? 2900,
      seed.currency ?? 'USD',
    ],
  );
  await server.rt.entitlements.changed(seed.userId);
  return id;
}

export const DAY_MS = 86_400_000;

/** Runs a promise and reports how long it took. */
export async function timed<T>(run: () => Promise<T>): Promise<{ value: T | undefined; error: unknown; ms: number }> {
  const started = Date.now();
  try {
    return { value: await run(), error: undefined, ms: Date.now() - started };
  } catch (error) {
    return { value: undefined, error, ms: Date.now() - started };
  }
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Path prefixes for the Toss fake's fail() that match a charge (`/v1/billing/<billingKey>`) but not
 * the billing-key issue (`/v1/billing/authorizations/issue`), which shares its first segments.
 */
export function tossChargePaths(): string[] {
  const word = 'authorizations';
  const prefixes: string[] = [];
  for (let i = 0; i < word.length; i++) {
    for (const c of BASE64URL) if (c !== word[i]) prefixes.push(`/v1/billing/${word.slice(0, i)}${c}`);
  }
  return prefixes;
}

/** Calls the Toss fake directly, as the merchant's secret key would. */
export async function tossApi(fake: { url: string }, method: string, path: string, body?: unknown) {
  const response = await fetch(`${fake.url}${path}`, {
    method,
    headers: { authorization: `Basic ${Buffer.from(`${TOSS.secretKey}:`).toString('base64')}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

export interface BillingServerOptions {
  providers?: ProviderName[];
  env?: Record<string, string>;
  logs?: LogCapture;
}

/**
 * The usual billing test file: provider fakes and a server pointed at them for the whole file,
 * the fakes' recordings cleared before each test. Read `ctx.server` and `ctx.fakes` inside tests.
 */
export function useBillingServer(options: BillingServerOptions = {}): { server: TestServer; fakes: ProviderFakes } {
  const ctx = {} as { fakes: ProviderFakes };
  beforeAll(async () => {
    ctx.fakes = await startProviderFakes();
  });
  // Registered before the server's: runs after it closes.
  afterAll(() => ctx.fakes?.close());
  beforeEach(() => ctx.fakes.reset());
  return useTestServer(() => ({ env: { ...billingEnv(ctx.fakes, options.providers), ...options.env }, logs: options.logs }), ctx);
}

export interface TossSubscription {
  checkoutId: string;
  customerKey: string;
  subscriptionId: string;
  billingKey: string;
  currentPeriodEnd: string;
}

/** A Toss checkout for the user: our checkout id and the customerKey the browser SDK authorizes. */
export async function tossCheckout(user: { client: StellarClient }, tier: 'PRO' | 'TEAM' = 'PRO'): Promise<{ checkoutId: string; customerKey: string }> {
  const { checkout } = await user.client.request(CheckoutDocument, { input: { tier, provider: 'TOSS' } });
  return { checkoutId: checkout.sessionId, customerKey: checkout.toss!.customerKey };
}

/** The whole Toss purchase for a user: checkout, card authorization at the fake, confirmTossBilling. */
export async function subscribeWithToss(server: TestServer, fake: FakeToss, user: { client: StellarClient }, tier: 'PRO' | 'TEAM' = 'PRO'): Promise<TossSubscription> {
  const { checkoutId, customerKey } = await tossCheckout(user, tier);
  const { confirmTossBilling } = await server.client().request(ConfirmTossBillingDocument, { input: { customerKey, authKey: fake.authorize(customerKey) } });
  const billingKey = [...fake.billings.values()].find((b) => b.customerKey === customerKey)!.billingKey;
  return { checkoutId, customerKey, subscriptionId: confirmTossBilling.id, billingKey, currentPeriodEnd: confirmTossBilling.currentPeriodEnd! };
}

/**
 * A Stripe subscription at the fake and its row here, as a completed Stripe checkout leaves them
 * (the `input` goes to the fake: price, period end, status...).
 */
export async function seedStripeSubscription(
  ctx: { server: TestServer; fakes: ProviderFakes },
  userId: string,
  input: Partial<SubscriptionInput> = {},
): Promise<WireSubscription> {
  const remote = ctx.fakes.stripe.createSubscription({ price: STRIPE.pricePro, metadata: { user_id: userId }, ...input });
  await seedSubscription(ctx.server, { userId, provider: Provider.STRIPE, providerSubscriptionId: remote.id, providerCustomerId: remote.customer as string });
  return remote;
}
