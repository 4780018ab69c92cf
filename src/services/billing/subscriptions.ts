import type { EntityManager } from '@mikro-orm/postgresql';
import { toSubscriptionRecord, type SubscriptionRecord } from './subscription-state.js';

/** The subscription a user sees: the newest one that has not expired, else null. */
export async function currentSubscription(em: EntityManager, userId: string): Promise<SubscriptionRecord | null> {
  const [row] = await em.execute<Record<string, unknown>[]>(
    `select * from subscriptions where user_id = ? and status <> 'EXPIRED' order by updated_at desc, created_at desc limit 1`,
    [userId],
  );
  return row ? toSubscriptionRecord(row) : null;
}
