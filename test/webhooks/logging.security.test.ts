import { describe, expect, it } from 'vitest';
import { registerUser } from '../support/accounts.js';
import { LEMON, STRIPE, TOSS, useBillingServer } from '../support/billing.js';
import { LogCapture } from '../support/logs.js';
import { deliver, lemonDelivery, stripeDelivery } from '../support/webhooks.js';

/**
 * docs/billing.md, docs/operations.md: a refused delivery leaves a counter and a log line, nothing more; logs never carry
 * webhook signatures, signing secrets or the (personal) contents of provider payloads.
 */

const logs = new LogCapture();
const ctx = useBillingServer({ logs });

describe('webhook logs', () => {
  it('one line per refused delivery, naming the provider and the reason; no signature, secret or payload anywhere', async () => {
    const user = await registerUser(ctx.server);
    const email = `payer-${Date.now()}@example.com`;
    const remote = ctx.fakes.lemon.createSubscription({ variantId: LEMON.variantPro, userId: user.id, userEmail: email });
    const body = ctx.fakes.lemon.webhook('subscription_created', remote);
    const forged = lemonDelivery(body, { secret: 'not-the-secret' });
    const stripeEvent = ctx.fakes.stripe.event('customer.subscription.created', ctx.fakes.stripe.createSubscription({ price: STRIPE.pricePro, metadata: { user_id: user.id } }));
    const stripeForged = stripeDelivery(stripeEvent, { secret: 'whsec_wrong' });

    expect((await deliver(ctx.server, forged)).status).toBe(400);
    expect((await deliver(ctx.server, stripeForged)).status).toBe(400);
    const genuine = lemonDelivery(body);
    expect((await deliver(ctx.server, genuine)).body.outcome).toBe('APPLIED');

    const refused = logs.entries().filter((e) => e.msg === 'webhook refused');
    expect(refused.map((e) => [e.provider, e.component])).toEqual([
      ['LEMON_SQUEEZY', 'webhooks'],
      ['STRIPE', 'webhooks'],
    ]);
    const text = logs.text();
    for (const secret of [
      forged.headers['x-signature']!,
      genuine.headers['x-signature']!,
      stripeForged.headers['stripe-signature']!,
      LEMON.webhookSecret,
      STRIPE.webhookSecret,
      TOSS.webhookSecret,
      email,
    ]) {
      expect(text).not.toContain(secret);
    }
  });
});
