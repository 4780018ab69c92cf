import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Provider, SubscriptionStatus, Tier } from '../entities/enums.js';
import { loadEntitlementSources, resolveEntitlement, withSource, type EntitlementSource } from './entitlements.js';

/**
 * The subscription state machine, in one place (SPEC §8, §9). Webhooks, Toss confirmations and
 * renewals, cancellations and reconciliation all change a subscription through
 * `applySubscriptionChange`, inside the caller's transaction:
 *
 *   ACTIVE ──payment failed──▶ PAST_DUE (entitled for the grace period) ──paid──▶ ACTIVE
 *     │  ▲                        │
 *     │  └──resumed──┐            └──retries exhausted / provider gives up──▶ EXPIRED
 *     └─cancel at period end─▶ CANCELED (entitled until currentPeriodEnd) ──period over──▶ EXPIRED
 *   any state ──deleted / expired / paused / full refund of the current period──▶ EXPIRED
 *
 * Each row remembers the provider time of the state it holds (`state_at`); a change that is older
 * is not applied (STALE), so out-of-order deliveries cannot bring back an old state. Every applied
 * change writes one audit row (`subscription_events`) with the user's effective tier before and after.
 * Callers announce the change (`rt.entitlements.changed`) after their transaction commits.
 */

export { BillingEventType } from '../providers/types.js';
import { BillingEventType } from '../providers/types.js';

/** Who made a change, as the audit trail records it. */
export type AuditSource = 'webhook' | 'toss' | 'cancel' | 'reconcile' | 'expiry' | 'admin';

export interface SubscriptionRecord {
  id: string;
  userId: string;
  provider: Provider;
  providerSubscriptionId: string;
  providerCustomerId: string | null;
  tier: Tier;
  status: SubscriptionStatus;
  currentPeriodEnd: Date | null;
  cancelAtPeriodEnd: boolean;
  pastDueSince: Date | null;
  stateAt: Date | null;
  amount: number | null;
  currency: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * A change as a provider (or our own Toss billing) states it. Undefined fields keep what the row
 * holds; `userId`, `tier` and `status` are needed only to create a subscription that does not exist.
 */
export interface SubscriptionChange {
  provider: Provider;
  providerSubscriptionId: string;
  stateAt: Date;
  /** Row id for a new subscription (Toss: the id of the checkout that created it). */
  id?: string;
  userId?: string | null;
  providerCustomerId?: string | null;
  tier?: Tier | null;
  status?: SubscriptionStatus;
  currentPeriodEnd?: Date | null;
  cancelAtPeriodEnd?: boolean;
  amount?: number | null;
  currency?: string | null;
}

export interface ChangeAudit {
  type: BillingEventType;
  source: AuditSource;
  payload?: unknown;
  /** Money moved by this event (a payment, a refund), when it is one. */
  amount?: number | null;
  currency?: string | null;
}

export type ApplyOutcome = 'APPLIED' | 'STALE' | 'UNKNOWN_SUBSCRIPTION';

export interface ApplyResult {
  outcome: ApplyOutcome;
  /** The user whose entitlement may have changed (announce it after commit). */
  userId: string | null;
  before: SubscriptionRecord | null;
  after: SubscriptionRecord | null;
}

type Row = Record<string, unknown>;
const toDate = (value: unknown): Date | null => (value === null || value === undefined ? null : new Date(value as string));

export function toSubscriptionRecord(row: Row): SubscriptionRecord {
  return {
    id: row.id as string,
    userId: row.user_id as string,
    provider: row.provider as Provider,
    providerSubscriptionId: row.provider_subscription_id as string,
    providerCustomerId: (row.provider_customer_id as string | null) ?? null,
    tier: row.tier as Tier,
    status: row.status as SubscriptionStatus,
    currentPeriodEnd: toDate(row.current_period_end),
    cancelAtPeriodEnd: Boolean(row.cancel_at_period_end),
    pastDueSince: toDate(row.past_due_since),
    stateAt: toDate(row.state_at),
    amount: row.amount === null || row.amount === undefined ? null : Number(row.amount),
    currency: (row.currency as string | null) ?? null,
    createdAt: toDate(row.created_at)!,
    updatedAt: toDate(row.updated_at)!,
  };
}

export async function lockSubscription(tx: EntityManager, provider: Provider, providerSubscriptionId: string): Promise<SubscriptionRecord | null> {
  const [row] = await tx.execute<Row[]>(`select * from subscriptions where provider = ? and provider_subscription_id = ? for update`, [provider, providerSubscriptionId]);
  return row ? toSubscriptionRecord(row) : null;
}

export async function findSubscription(em: EntityManager, id: string): Promise<SubscriptionRecord | null> {
  const [row] = await em.execute<Row[]>(`select * from subscriptions where id = ?`, [id]);
  return row ? toSubscriptionRecord(row) : null;
}

/** What a subscription's row entitles (an EXPIRED one: nothing). */
const subscriptionSource = (s: SubscriptionRecord): EntitlementSource => ({
  id: s.id,
  kind: 'subscription',
  tier: s.tier,
  status: s.status,
  until: s.currentPeriodEnd,
  pastDueSince: s.pastDueSince,
});

export interface AuditRow {
  userId: string;
  subscriptionId?: string | null;
  grantId?: string | null;
  provider?: Provider | null;
  type: string;
  source: AuditSource;
  tierBefore: Tier;
  tierAfter: Tier;
  statusBefore?: SubscriptionStatus | null;
  statusAfter?: SubscriptionStatus | null;
  amount?: number | null;
  currency?: string | null;
  payload?: unknown;
}

/** One row of the audit trail (`subscription_events`). */
export async function recordAudit(tx: EntityManager, audit: AuditRow): Promise<string> {
  const id = randomUUID();
  await tx.execute(
    `insert into subscription_events
       (id, user_id, subscription_id, grant_id, provider, type, source, tier_before, tier_after, status_before, status_after, amount, currency, payload)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb)`,
    [
      id,
      audit.userId,
      audit.subscriptionId ?? null,
      audit.grantId ?? null,
      audit.provider ?? null,
      audit.type,
      audit.source,
      audit.tierBefore,
      audit.tierAfter,
      audit.statusBefore ?? null,
      audit.statusAfter ?? null,
      audit.amount ?? null,
      audit.currency ?? null,
      audit.payload === undefined ? null : JSON.stringify(audit.payload),
    ],
  );
  return id;
}

/** The state a change leads to from `current` (pure: the transition rules). */
export function nextState(current: SubscriptionRecord, change: SubscriptionChange): SubscriptionRecord {
  let status = change.status ?? current.status;
  let cancelAtPeriodEnd = change.cancelAtPeriodEnd ?? current.cancelAtPeriodEnd;
  if (status === SubscriptionStatus.CANCELED) cancelAtPeriodEnd = true;
  // A paid or renewed subscription that is set to end stays CANCELED until its period is over.
  if (status === SubscriptionStatus.ACTIVE && cancelAtPeriodEnd) status = SubscriptionStatus.CANCELED;
  const pastDueSince =
    status !== SubscriptionStatus.PAST_DUE ? null : current.status === SubscriptionStatus.PAST_DUE && current.pastDueSince ? current.pastDueSince : change.stateAt;
  return {
    ...current,
    status,
    cancelAtPeriodEnd,
    pastDueSince,
    tier: change.tier ?? current.tier,
    currentPeriodEnd: change.currentPeriodEnd ?? current.currentPeriodEnd,
    providerCustomerId: change.providerCustomerId ?? current.providerCustomerId,
    amount: change.amount ?? current.amount,
    currency: change.currency ?? current.currency,
    stateAt: current.stateAt && current.stateAt > change.stateAt ? current.stateAt : change.stateAt,
  };
}

/** Older than the held state: recorded by the caller, never applied. EXPIRED wins a tie. */
export function isStale(current: SubscriptionRecord, change: SubscriptionChange): boolean {
  if (!current.stateAt) return false;
  const held = current.stateAt.getTime();
  const given = change.stateAt.getTime();
  if (given < held) return true;
  return given === held && current.status === SubscriptionStatus.EXPIRED && change.status !== undefined && change.status !== SubscriptionStatus.EXPIRED;
}

async function insertSubscription(tx: EntityManager, change: SubscriptionChange): Promise<SubscriptionRecord | null> {
  const draft: SubscriptionRecord = {
    id: change.id ?? randomUUID(),
    userId: change.userId!,
    provider: change.provider,
    providerSubscriptionId: change.providerSubscriptionId,
    providerCustomerId: null,
    tier: change.tier!,
    status: SubscriptionStatus.ACTIVE,
    currentPeriodEnd: null,
    cancelAtPeriodEnd: false,
    pastDueSince: null,
    stateAt: null,
    amount: null,
    currency: null,
    createdAt: new Date(),
    updatedAt: new Date(),
  };
  const s = nextState(draft, change);
  const [row] = await tx.execute<Row[]>(
    `insert into subscriptions (id, user_id, provider, provider_subscription_id, provider_customer_id, tier, status,
        current_period_end, cancel_at_period_end, past_due_since, state_at, amount, currency)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     on conflict (provider, provider_subscription_id) do nothing
     returning *`,
    [s.id, s.userId, s.provider, s.providerSubscriptionId, s.providerCustomerId, s.tier, s.status, s.currentPeriodEnd, s.cancelAtPeriodEnd, s.pastDueSince, s.stateAt, s.amount, s.currency],
  );
  return row ? toSubscriptionRecord(row) : null;
}

/**
 * Applies one change under the subscription's row lock. Creates the subscription when it does not
 * exist and the change says whose it is and which tier; otherwise answers UNKNOWN_SUBSCRIPTION.
 */
export async function applySubscriptionChange(tx: EntityManager, change: SubscriptionChange, audit: ChangeAudit): Promise<ApplyResult> {
  let current = await lockSubscription(tx, change.provider, change.providerSubscriptionId);
  let after: SubscriptionRecord | null = null;
  // The user's sources before the change, read once: the tier after is theirs with this subscription's new row.
  let sources: EntitlementSource[] | null = null;
  if (!current) {
    const known = change.userId && change.tier && change.status ? await tx.execute(`select 1 from users where id = ?`, [change.userId]) : [];
    if (known.length === 0) return { outcome: 'UNKNOWN_SUBSCRIPTION', userId: null, before: null, after: null };
    sources = await loadEntitlementSources(tx, change.userId!);
    after = await insertSubscription(tx, change);
    // Created meanwhile by a concurrent event (we waited on its insert): apply over it.
    if (!after) current = (await lockSubscription(tx, change.provider, change.providerSubscriptionId))!;
  }
  if (current) {
    if (isStale(current, change)) return { outcome: 'STALE', userId: current.userId, before: current, after: current };
    sources ??= await loadEntitlementSources(tx, current.userId);
    const s = nextState(current, change);
    const [row] = await tx.execute<Row[]>(
      `update subscriptions set provider_customer_id = ?, tier = ?, status = ?, current_period_end = ?, cancel_at_period_end = ?,
          past_due_since = ?, state_at = ?, amount = ?, currency = ?, updated_at = now()
       where id = ? returning *`,
      [s.providerCustomerId, s.tier, s.status, s.currentPeriodEnd, s.cancelAtPeriodEnd, s.pastDueSince, s.stateAt, s.amount, s.currency, s.id],
    );
    after = toSubscriptionRecord(row!);
  }
  await recordAudit(tx, {
    userId: after!.userId,
    subscriptionId: after!.id,
    provider: change.provider,
    type: audit.type,
    source: audit.source,
    tierBefore: resolveEntitlement(sources!).tier,
    tierAfter: resolveEntitlement(withSource(sources!, subscriptionSource(after!))).tier,
    statusBefore: current?.status ?? null,
    statusAfter: after!.status,
    amount: audit.amount ?? null,
    currency: audit.currency ?? null,
    payload: audit.payload,
  });
  return { outcome: 'APPLIED', userId: after!.userId, before: current, after: after! };
}
