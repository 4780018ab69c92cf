import type { EntityManager } from '@mikro-orm/postgresql';
import { Provider, SubscriptionStatus } from '../../entities/enums.js';
import type { BillingDeps } from './deps.js';
import { BillingEventType, applySubscriptionChange } from './subscription-state.js';

/**
 * Ends the subscriptions whose provider will never say so: we renew Toss and Demo ourselves, so a
 * cancelled Toss subscription (and any Demo one, which never renews) becomes EXPIRED once its
 * period is over. Stripe and Lemon Squeezy send their own deleted/expired events.
 */
export async function expireEndedSubscriptions(deps: Pick<BillingDeps, 'entitlements'>, em: EntityManager): Promise<number> {
  const ended = await em.execute<{ provider: Provider; provider_subscription_id: string; user_id: string }[]>(
    `select provider, provider_subscription_id, user_id from subscriptions
     where current_period_end <= now()
       and ((provider = ? and status = 'CANCELED') or (provider = ? and status in ('ACTIVE', 'CANCELED', 'PAST_DUE')))
     limit 500`,
    [Provider.TOSS, Provider.DEMO],
  );
  for (const row of ended) {
    await em.transactional((tx) =>
      applySubscriptionChange(
        tx,
        { provider: row.provider, providerSubscriptionId: row.provider_subscription_id, status: SubscriptionStatus.EXPIRED, stateAt: new Date() },
        { type: BillingEventType.SUBSCRIPTION_EXPIRED, source: 'expiry' },
      ),
    );
    await deps.entitlements.changed(row.user_id);
  }
  return ended.length;
}
