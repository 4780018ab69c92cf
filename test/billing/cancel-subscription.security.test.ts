import { describe, expect, it } from 'vitest';
import { CancelSubscriptionDocument, SubscriptionDocument } from '../../sdk/index.js';
import { registerUser } from '../support/accounts.js';
import { seedStripeSubscription, useBillingServer } from '../support/billing.js';

const ctx = useBillingServer({});

describe('cancelSubscription isolation', () => {
  it("cancels only the caller's subscription", async () => {
    const [alice, bob] = [await registerUser(ctx.server), await registerUser(ctx.server)];
    const a = await seedStripeSubscription(ctx, alice.id);
    const b = await seedStripeSubscription(ctx, bob.id);

    await alice.client.request(CancelSubscriptionDocument);
    expect(ctx.fakes.stripe.requests.filter((r) => r.method === 'POST').map((r) => r.path)).toEqual([`/v1/subscriptions/${a.id}`]);
    expect((await bob.client.request(SubscriptionDocument)).subscription).toMatchObject({ status: 'ACTIVE', cancelAtPeriodEnd: false });
    expect(ctx.fakes.stripe.subscriptions.get(b.id)!.cancel_at_period_end).toBe(false);
  });
});
