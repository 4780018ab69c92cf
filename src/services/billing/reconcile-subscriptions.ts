import type { EntityManager } from '@mikro-orm/postgresql';
import { Provider } from '../../entities/enums.js';
import type { BillingDeps } from './deps.js';
import type { RemoteSubscriptionState } from '../../providers/types.js';
import { typeForStatus } from '../../providers/webhook.js';
import { BillingEventType, applySubscriptionChange, nextState, toSubscriptionRecord, type SubscriptionChange, type SubscriptionRecord } from './subscription-state.js';

/**
 * Reconciliation (`adminReconcile`, and the daily job): every subscription of a provider that has not
 * expired is read back from the provider and, where the provider's view differs from ours (status,
 * tier, period end, cancellation), corrected through the state machine with an audit row (source
 * `reconcile`) that names each field's stored and provider value. Missed or lost webhooks heal here.
 */

export interface ReconcileReport {
  provider: Provider;
  checked: number;
  corrected: number;
  /** Subscriptions the provider could not be asked about this time (logged). */
  failed: number;
}

type ReconcileDeps = Pick<BillingDeps, 'providers' | 'entitlements' | 'logger'>;

const BATCH = 200;
const COMPARED = ['status', 'tier', 'currentPeriodEnd', 'cancelAtPeriodEnd'] as const;

const comparable = (value: unknown) => (value instanceof Date ? Math.floor(value.getTime() / 1000) : value);

/** The fields the provider's view (`wanted`, the state it leads to) would change, with their stored and provider values. */
function driftOf(stored: SubscriptionRecord, wanted: SubscriptionRecord): Record<string, { stored: unknown; provider: unknown }> {
  const drift: Record<string, { stored: unknown; provider: unknown }> = {};
  for (const field of COMPARED) {
    if (comparable(wanted[field]) !== comparable(stored[field])) drift[field] = { stored: stored[field], provider: wanted[field] };
  }
  return drift;
}

export async function reconcileSubscriptions(deps: ReconcileDeps, em: EntityManager, provider: Provider): Promise<ReconcileReport> {
  const adapter = await deps.providers.get(provider);
  const report: ReconcileReport = { provider, checked: 0, corrected: 0, failed: 0 };
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const rows = await em.execute<Record<string, unknown>[]>(
      `select s.*, (select p.order_id from toss_payments p where p.subscription_id = s.id order by p.period_index desc limit 1) as latest_order_id
       from subscriptions s where s.provider = ? and s.status <> 'EXPIRED' and s.id > ? order by s.id limit ?`,
      [provider, after, BATCH],
    );
    for (const row of rows) {
      const stored = toSubscriptionRecord(row);
      report.checked++;
      const readAt = new Date();
      let remote: RemoteSubscriptionState;
      try {
        remote = await adapter.fetchSubscription({ ...stored, latestOrderId: (row.latest_order_id as string | null) ?? null });
      } catch (err) {
        report.failed++;
        deps.logger.warn({ component: 'reconcile', provider, subscriptionId: stored.id, err }, 'could not read a subscription from its provider');
        continue;
      }
      if (await correct(deps, em, stored, remote, readAt)) report.corrected++;
    }
    if (rows.length < BATCH) break;
    after = rows.at(-1)!.id as string;
  }
  deps.logger.info({ component: 'reconcile', ...report }, 'subscriptions reconciled');
  return report;
}

async function correct(deps: ReconcileDeps, em: EntityManager, stored: SubscriptionRecord, remote: RemoteSubscriptionState, readAt: Date): Promise<boolean> {
  // The provider's answer is its state at the time we read it (not older: Lemon's updated_at may be).
  const change: SubscriptionChange = {
    ...remote,
    provider: stored.provider,
    providerSubscriptionId: stored.providerSubscriptionId,
    tier: remote.tier ?? undefined,
    userId: undefined,
    stateAt: remote.stateAt > readAt ? remote.stateAt : readAt,
  };
  const wanted = nextState(stored, change);
  const drift = driftOf(stored, wanted);
  if (Object.keys(drift).length === 0) return false;
  const type = typeForStatus(wanted.status, wanted.cancelAtPeriodEnd, BillingEventType.SUBSCRIPTION_UPDATED);
  const applied = await em.transactional((tx) => applySubscriptionChange(tx, change, { type, source: 'reconcile', payload: { drift } }));
  if (applied.outcome !== 'APPLIED') return false;
  deps.logger.warn({ component: 'reconcile', provider: stored.provider, subscriptionId: stored.id, drift }, 'subscription corrected from its provider');
  await deps.entitlements.changed(stored.userId);
  return true;
}
