import type { EntityManager } from '@mikro-orm/postgresql';
import { notFound } from '../../errors.js';
import type { ProviderRegistry } from '../../providers/index.js';
import { currentSubscription } from './subscriptions.js';

/**
 * `billingPortal` (docs/billing.md): where the customer manages the subscription. Stripe: a billing portal
 * session; Lemon Squeezy: the subscription's signed `customer_portal` URL, fetched fresh; Toss and
 * Demo: our own `/billing/manage` page. A plan held only through a grant has no portal (NOT_FOUND).
 */
export async function openBillingPortal(providers: ProviderRegistry, em: EntityManager, userId: string): Promise<{ url: string }> {
  const subscription = await currentSubscription(em, userId);
  if (!subscription) throw notFound('Subscription');
  return { url: await (await providers.get(subscription.provider)).portalUrl(subscription) };
}
