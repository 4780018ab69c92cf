import { describe, expect, it } from 'vitest';
import { CheckoutDocument, ConfirmTossBillingDocument, UsageDocument, createClient } from '../../sdk/index.js';
import { PLANS } from '../../src/plans.js';
import { tossOrderId } from '../../src/services/billing/toss-billing.js';
import { registerUser, type TestUser } from '../support/accounts.js';
import { billingEnv } from '../support/billing.js';
import { SHARED_DATABASE_SKIP_REASON, sharedDatabaseAvailable } from '../support/database.js';
import { REDIS_SKIP_REASON, redisAvailable, useTestServer } from '../support/server.js';
import { useFakesAndProcesses, deliver, lemonDelivery, stripeDelivery, tossDelivery } from '../support/webhooks.js';

/**
 * Issue 6 point 6: with every provider fake, checkout → the provider's webhook → the user's
 * `usage.limits` are PRO's on the next request, on both server processes (each had FREE cached:
 * the change reaches the other process through the cache-invalidation channel).
 */

interface Instance {
  url: string;
  graphqlUrl: string;
}

const ctx = useFakesAndProcesses();

const PRO_LIMITS = { ...PLANS.PRO.limits };

/** Both instances answer FREE now (and so have the FREE tier cached). */
async function freeEverywhere(instances: Instance[], user: TestUser) {
  for (const instance of instances) {
    const { usage } = await createClient({ url: instance.graphqlUrl, apiKey: user.secret }).request(UsageDocument);
    expect(usage.tier).toBe('FREE');
  }
}

/**
 * Every instance answers PRO's limits; returns the longest wait (the invalidation's travel time) and
 * how many requests answered the old tier first.
 */
async function proEverywhere(instances: Instance[], user: TestUser): Promise<{ ms: number; stale: number }> {
  const since = Date.now();
  let longest = 0;
  let stale = 0;
  for (const instance of instances) {
    const client = createClient({ url: instance.graphqlUrl, apiKey: user.secret });
    for (;;) {
      const { usage } = await client.request(UsageDocument);
      if (usage.tier === 'PRO') {
        expect(usage.limits).toEqual(PRO_LIMITS);
        break;
      }
      stale++;
      if (Date.now() - since > 2_000) throw new Error(`${instance.url} still answers ${usage.tier} 2 s after the webhook`);
      await new Promise((r) => setTimeout(r, 20));
    }
    longest = Math.max(longest, Date.now() - since);
  }
  return { ms: longest, stale };
}

async function endToEnd(instances: [Instance, Instance]) {
  const [a, b] = instances;
  const signUp = () => registerUser({ client: (key) => createClient({ url: a.graphqlUrl, apiKey: key }) });
  const waits: Record<string, { ms: number; stale: number }> = {};

  // Stripe: checkout on A, paid at Stripe, checkout.session.completed delivered to B.
  const stripeUser = await signUp();
  await freeEverywhere(instances, stripeUser);
  const stripe = await stripeUser.client.request(CheckoutDocument, { input: { tier: 'PRO', provider: 'STRIPE' } });
  const { session } = ctx.fakes.stripe.completeCheckoutSession(stripe.checkout.sessionId);
  expect((await deliver(b, stripeDelivery(ctx.fakes.stripe.event('checkout.session.completed', session)))).body.outcome).toBe('APPLIED');
  waits.stripe = await proEverywhere(instances, stripeUser);

  // Lemon Squeezy: checkout on B, paid at Lemon Squeezy, subscription_created delivered to A.
  const lemonUser = await signUp();
  await freeEverywhere(instances, lemonUser);
  const lemon = await createClient({ url: b.graphqlUrl, apiKey: lemonUser.secret }).request(CheckoutDocument, { input: { tier: 'PRO', provider: 'LEMON_SQUEEZY' } });
  const subscription = ctx.fakes.lemon.completeCheckout(lemon.checkout.sessionId);
  expect((await deliver(a, lemonDelivery(ctx.fakes.lemon.webhook('subscription_created', subscription)))).body.outcome).toBe('APPLIED');
  waits.lemon = await proEverywhere(instances, lemonUser);

  // Toss: checkout on A, card authorized at Toss, confirmed on B (the charge is ours), then Toss's
  // payment webhook delivered to A (read back from the Toss API: DONE, nothing more to change).
  const tossUser = await signUp();
  await freeEverywhere(instances, tossUser);
  const toss = await tossUser.client.request(CheckoutDocument, { input: { tier: 'PRO', provider: 'TOSS' } });
  const customerKey = toss.checkout.toss!.customerKey;
  const { confirmTossBilling } = await createClient({ url: b.graphqlUrl }).request(ConfirmTossBillingDocument, {
    input: { customerKey, authKey: ctx.fakes.toss.authorize(customerKey) },
  });
  waits.toss = await proEverywhere(instances, tossUser);
  const paymentKey = ctx.fakes.toss.charges.find((c) => c.orderId === tossOrderId(confirmTossBilling.id, 0))!.paymentKey;
  expect((await deliver(a, tossDelivery(ctx.fakes.toss.paymentStatusChangedEvent(paymentKey)))).status).toBe(200);
  await proEverywhere(instances, tossUser);

  // Demo: checkout on A, paid on B's demo page, which posts its signed event to its own /webhooks/demo.
  const demoUser = await signUp();
  await freeEverywhere(instances, demoUser);
  const demo = await demoUser.client.request(CheckoutDocument, { input: { tier: 'PRO', provider: 'DEMO' } });
  const paid = await fetch(`${b.url}/billing/demo/${demo.checkout.sessionId}/pay`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: '',
    redirect: 'manual',
  });
  expect(paid.status).toBe(303);
  waits.demo = await proEverywhere(instances, demoUser);
  return waits;
}

describe.skipIf(!sharedDatabaseAvailable())(`checkout → webhook → PRO on both processes (${SHARED_DATABASE_SKIP_REASON})`, () => {
  async function onTwoProcesses(redis: boolean) {
    const instances = await Promise.all([ctx.spawn({ redis }), ctx.spawn({ redis })]);
    const waits = await endToEnd([instances[0]!, instances[1]!]);
    // "The next request": the other process heard of the change within the invalidation channel's delay.
    for (const [provider, { ms }] of Object.entries(waits)) expect(ms, provider).toBeLessThan(1_000);
  }

  it('Stripe, Lemon Squeezy, Toss and Demo: PRO limits on the next request on both processes (PostgreSQL NOTIFY)', { timeout: 120_000 }, () =>
    onTwoProcesses(false));

  it.skipIf(!redisAvailable())(`the same with Redis pub/sub and Redis counters (${REDIS_SKIP_REASON})`, { timeout: 120_000 }, () => onTwoProcesses(true));
});

describe('checkout → webhook → PRO on one server', () => {
  const single = useTestServer(() => ({ env: billingEnv(ctx.fakes) }));

  it('Stripe, Lemon Squeezy, Toss and Demo: PRO limits on the very next request', async () => {
    const waits = await endToEnd([single.server, single.server]);
    // One process: the cache is dropped before the webhook is answered, so the very next request is PRO.
    for (const [provider, { stale }] of Object.entries(waits)) expect(stale, provider).toBe(0);
  });
});
