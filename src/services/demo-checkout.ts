import type { EntityManager } from '@mikro-orm/postgresql';
import { Provider, SubscriptionStatus, Tier } from '../entities/enums.js';
import { notFound } from '../errors.js';
import type { Runtime } from '../runtime.js';
import { assertUuid } from './api-keys.js';
import { PLANS, priceFor } from './plans.js';
import { BillingEventType, applySubscriptionChange } from './subscription-state.js';
import { addMonths } from './toss-billing.js';

/** The demo provider's checkout (never in production): a local page pays for one month, without money. */

export interface DemoCheckoutView {
  id: string;
  tier: Tier;
  planName: string;
  amount: number;
  currency: string;
  email: string;
  cancelUrl: string;
}

/** An open demo checkout, for its page; null when unknown, used or expired. */
export async function findOpenDemoCheckout(em: EntityManager, checkoutId: string): Promise<DemoCheckoutView | null> {
  try {
    assertUuid(checkoutId, 'Checkout');
  } catch {
    return null;
  }
  const [row] = await em.execute<{ id: string; tier: Tier; email: string; cancel_url: string }[]>(
    `select c.id, c.tier, c.cancel_url, u.email from checkouts c join users u on u.id = c.user_id
     where c.id = ? and c.provider = ? and c.status = 'OPEN' and c.expires_at > now()`,
    [checkoutId, Provider.DEMO],
  );
  if (!row) return null;
  const price = priceFor(row.tier, Provider.DEMO)!;
  return { id: row.id, tier: row.tier, planName: PLANS[row.tier].name, amount: price.amount, currency: price.currency, email: row.email, cancelUrl: row.cancel_url };
}

/** Completes a demo checkout once: the subscription is ACTIVE for one month. Returns where to send the buyer. */
export async function completeDemoCheckout(deps: Pick<Runtime, 'entitlements'>, em: EntityManager, checkoutId: string): Promise<{ successUrl: string }> {
  assertUuid(checkoutId, 'Checkout');
  const done = await em.transactional(async (tx) => {
    const [checkout] = await tx.execute<{ id: string; user_id: string; tier: Tier; success_url: string }[]>(
      `update checkouts set status = 'COMPLETED', completed_at = now()
       where id = ? and provider = ? and status = 'OPEN' and expires_at > now()
       returning id, user_id, tier, success_url`,
      [checkoutId, Provider.DEMO],
    );
    if (!checkout) throw notFound('Checkout');
    const price = priceFor(checkout.tier, Provider.DEMO)!;
    const now = new Date();
    await applySubscriptionChange(
      tx,
      {
        provider: Provider.DEMO,
        providerSubscriptionId: `demo_${checkout.id}`,
        userId: checkout.user_id,
        tier: checkout.tier,
        status: SubscriptionStatus.ACTIVE,
        currentPeriodEnd: addMonths(now, 1),
        amount: price.amount,
        currency: price.currency,
        stateAt: now,
      },
      { type: BillingEventType.SUBSCRIPTION_CREATED, source: 'webhook', amount: price.amount, currency: price.currency, payload: { checkoutId } },
    );
    return checkout;
  });
  await deps.entitlements.changed(done.user_id);
  return { successUrl: done.success_url };
}
