import type { EntityManager } from '@mikro-orm/postgresql';
import { Subscription } from '../entities/Subscription.js';
import { SubscriptionStatus } from '../entities/enums.js';

/** The subscription a user sees: the newest one that has not expired, else null. */
export async function currentSubscription(em: EntityManager, userId: string): Promise<Subscription | null> {
  return em.findOne(
    Subscription,
    { userId, status: { $ne: SubscriptionStatus.EXPIRED } },
    { orderBy: { updatedAt: 'desc', createdAt: 'desc' } },
  );
}
