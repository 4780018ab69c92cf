import { describe, expect, it } from 'vitest';
import { CheckoutDocument, MeDocument, ProviderError, StoreMemoryDocument } from '../../sdk/index.js';
import { registerUser } from '../support/accounts.js';
import { useBillingServer } from '../support/billing.js';

/**
 * Issue 8, a provider API stalling: Stripe accepts connections and never answers. Checkouts wait
 * for the provider timeout and answer PROVIDER_ERROR; meanwhile the rest of the service stays fast
 * and ready, because no database connection is held while a provider is being asked (the pool is
 * deliberately smaller than the number of stalled checkouts).
 */

const PROVIDER_TIMEOUT_MS = 2_000;
const STALLED_CHECKOUTS = 12;
const ctx = useBillingServer({ providers: ['stripe'], env: { DATABASE_POOL_MAX: '4', PROVIDER_TIMEOUT_MS: String(PROVIDER_TIMEOUT_MS) } });

describe('a stalling provider API', () => {
  it('stalled checkouts end in PROVIDER_ERROR at the timeout while stores, reads and /readyz stay fast', async () => {
    const buyers = await Promise.all(Array.from({ length: STALLED_CHECKOUTS }, () => registerUser(ctx.server)));
    const writer = await registerUser(ctx.server);
    ctx.fakes.stripe.fail('stall');

    const started = Date.now();
    const checkouts = buyers.map((buyer) =>
      buyer.client.request(CheckoutDocument, { input: { tier: 'PRO', provider: 'STRIPE' } }).then(
        () => ({ error: null, ms: Date.now() - started }),
        (error: unknown) => ({ error, ms: Date.now() - started }),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));

    // While every checkout is waiting on Stripe: ten stores and reads, one after another, each quick.
    let slowestMs = 0;
    for (let i = 0; i < 10; i++) {
      const t0 = Date.now();
      await writer.client.request(StoreMemoryDocument, { input: { content: `written while Stripe stalls ${i}` } });
      await writer.client.request(MeDocument);
      slowestMs = Math.max(slowestMs, Date.now() - t0);
    }
    const ready = await fetch(`${ctx.server.url}/readyz`);
    const duringStall = Date.now() - started;
    expect(duringStall).toBeLessThan(PROVIDER_TIMEOUT_MS); // the stores really ran while the checkouts were pending
    expect(slowestMs).toBeLessThan(1_000);
    expect(ready.status).toBe(200);

    const outcomes = await Promise.all(checkouts);
    for (const { error, ms } of outcomes) {
      expect(error).toBeInstanceOf(ProviderError);
      expect(ms).toBeGreaterThanOrEqual(PROVIDER_TIMEOUT_MS - 100);
      expect(ms).toBeLessThan(PROVIDER_TIMEOUT_MS + 3_000);
    }

    // Once Stripe answers again, the same buyers can check out: nothing half-made is in the way.
    ctx.fakes.stripe.fail('ok');
    const { checkout } = await buyers[0]!.client.request(CheckoutDocument, { input: { tier: 'PRO', provider: 'STRIPE' } });
    expect(checkout.url).toMatch(/^http/);
  });
});
