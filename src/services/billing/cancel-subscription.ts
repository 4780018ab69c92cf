import type { EntityManager } from '@mikro-orm/postgresql';
import { SubscriptionStatus } from '../../entities/enums.js';
import { notFound } from '../../errors.js';
import type { BillingDeps } from './deps.js';
import { BillingEventType, applySubscriptionChange, findSubscription, type SubscriptionChange, type SubscriptionRecord } from './subscription-state.js';
import { currentSubscription } from './subscriptions.js';

/**
 * `cancelSubscription` (docs/billing.md): cancels at the end of the paid period. Stripe gets
 * `cancel_at_period_end`, Lemon Squeezy its DELETE; Toss and Demo are renewed by us, so we simply
 * stop. The user keeps the tier until `currentPeriodEnd`. Cancelling twice changes nothing.
 */
export async function cancelSubscription(deps: Pick<BillingDeps, 'providers' | 'entitlements'>, em: EntityManager, userId: string): Promise<SubscriptionRecord> {
  const subscription = await currentSubscription(em, userId);
  if (!subscription) throw notFound('Subscription');
  if (subscription.cancelAtPeriodEnd) return subscription;
  const provider = await deps.providers.get(subscription.provider);
  const remote = await provider.cancelAtPeriodEnd(subscription);
  const change: SubscriptionChange = remote
    ? { ...remote, provider: subscription.provider }
    : {
        provider: subscription.provider,
        providerSubscriptionId: subscription.providerSubscriptionId,
        status: SubscriptionStatus.CANCELED,
        cancelAtPeriodEnd: true,
        stateAt: new Date(),
      };
  await em.transactional((tx) => applySubscriptionChange(tx, change, { type: BillingEventType.SUBSCRIPTION_CANCELED, source: 'cancel' }));
  await deps.entitlements.changed(userId);
  return (await findSubscription(em, subscription.id))!;
}
