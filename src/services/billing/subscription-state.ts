import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Provider, SubscriptionStatus, Tier } from '../../entities/enums.js';
import { entitlementSourcesSql, resolveEntitlement, toEntitlementSource, withSource, type EntitlementSource } from './entitlements.js';
import { asSql, run, together, type Row, type Sql, type SqlTransaction, type Statement } from '../../db/sql.js';

/**
 * The subscription state machine, in one place (docs/billing.md). Webhooks, Toss confirmations and
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
 *
 * A change costs two statements (each a round trip): one locks the row and reads the user's
 * entitlement sources, one writes the row and its audit row. The rules between them (`isStale`,
 * `nextState`, `resolveEntitlement`) are TypeScript. A webhook's ledger row rides along: claimed in
 * the first statement, settled in the second, which then ends the transaction (`ChangeLedger`).
 */

export { BillingEventType } from '../../providers/types.js';
import { BillingEventType } from '../../providers/types.js';

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

/** NOT_CLAIMED: the caller's ledger claim found the event already recorded; nothing was locked or changed. */
export type ApplyOutcome = 'APPLIED' | 'STALE' | 'UNKNOWN_SUBSCRIPTION' | 'NOT_CLAIMED';

export interface ApplyResult {
  outcome: ApplyOutcome;
  /** The user whose entitlement may have changed (announce it after commit). */
  userId: string | null;
  before: SubscriptionRecord | null;
  after: SubscriptionRecord | null;
  /** The claimed ledger row's id, when a ChangeLedger was given and the claim succeeded. */
  ledgerId?: string;
  /**
   * The row's entitlement (tier, status, period end, grace start) differs after the change, so the
   * user's effective tier may have moved. False for an applied change that left those as they were
   * (a new provider time, customer or price amount): there is nothing to announce.
   */
  entitlementChanged: boolean;
}

/**
 * A webhook's ledger row, recorded in the change's own statements (one round trip each instead of
 * three). The claim runs before the subscription's row is locked, so concurrent deliveries of one
 * event queue on the ledger row, never on the subscription while holding it.
 */
export interface ChangeLedger {
  /** A data-modifying statement returning the claimed row's `id`, or no row: already recorded. */
  claim: Statement;
  /**
   * What records the result: the claimed row's outcome, and anything else the event completes. These
   * run with the change's write (alone when there is none) as the transaction's last statement.
   */
  settle(ledgerId: string, result: ApplyResult): Statement[];
}
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

interface HeldSubscription {
  /** The claimed ledger row (with a ChangeLedger); null: not claimed, nothing else was read. */
  ledgerId: string | null;
  current: SubscriptionRecord | null;
  /** The change names a user that exists (only asked when it could create the subscription). */
  userKnown: boolean;
  /** The user's entitlement sources, with the locked row as it is now. */
  sources: EntitlementSource[];
}

/**
 * One statement: the caller's claim (if any), then the subscription's row lock, then the user's
 * entitlement sources (of the row's user, or of the user the change would create it for). The lock
 * depends on the claim (`exists (select 1 from claim)`), which makes PostgreSQL run the claim first.
 */
async function lockForChange(sql: Sql, change: SubscriptionChange, claim?: Statement): Promise<HeldSubscription> {
  const creator = change.userId && change.tier && change.status ? change.userId : null;
  const [row] = await sql.query<{ ledger_id: string | null; subscription: Row | null; user_known: boolean; sources: Parameters<typeof toEntitlementSource>[0][] }>(
    `with ${claim ? `claim as (${claim.sql}),` : ''}
     locked as (
       select * from subscriptions where provider = ? and provider_subscription_id = ? ${claim ? 'and exists (select 1 from claim)' : ''} for update
     ),
     who as (select coalesce((select user_id from locked), ?::uuid) as id)
     select ${claim ? '(select id from claim)' : 'null'} as ledger_id,
       (select row_to_json(l) from locked l) as subscription,
       exists (select 1 from users where id = (select id from who)) as user_known,
       (select coalesce(json_agg(e), '[]'::json) from (${entitlementSourcesSql('(select id from who)')}) e) as sources`,
    [...(claim?.params ?? []), change.provider, change.providerSubscriptionId, creator],
  );
  const current = row!.subscription ? toSubscriptionRecord(row!.subscription) : null;
  const sources = row!.sources.map(toEntitlementSource);
  // The row as locked (a concurrent change may have committed after this statement's snapshot).
  return { ledgerId: row!.ledger_id, current, userKnown: row!.user_known, sources: current ? withSource(sources, subscriptionSource(current)) : sources };
}

export async function findSubscription(em: EntityManager, id: string): Promise<SubscriptionRecord | null> {
  const [row] = await em.execute<Row[]>(`select * from subscriptions where id = ?`, [id]);
  return row ? toSubscriptionRecord(row) : null;
}

/** Whether `after` entitles anything differently from `before` (a new row always may). */
function entitlementDiffers(before: SubscriptionRecord | null, after: SubscriptionRecord): boolean {
  if (!before) return true;
  const [a, b] = [subscriptionSource(before), subscriptionSource(after)];
  return a.tier !== b.tier || a.status !== b.status || a.until?.getTime() !== b.until?.getTime() || a.pastDueSince?.getTime() !== b.pastDueSince?.getTime();
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

/** The insert of one audit row (`subscription_events`), returning its id. */
export function auditStatement(audit: AuditRow): Statement {
  return {
    sql: `insert into subscription_events
            (id, user_id, subscription_id, grant_id, provider, type, source, tier_before, tier_after, status_before, status_after, amount, currency, payload)
          values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb)
          returning id`,
    params: [
      randomUUID(),
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
  };
}

/** One row of the audit trail (`subscription_events`). */
export async function recordAudit(tx: SqlTransaction, audit: AuditRow): Promise<string> {
  const statement = auditStatement(audit);
  await run(asSql(tx), statement);
  return statement.params[0] as string;
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

async function insertSubscription(sql: Sql, change: SubscriptionChange): Promise<SubscriptionRecord | null> {
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
  const [row] = await sql.query(
    `insert into subscriptions (id, user_id, provider, provider_subscription_id, provider_customer_id, tier, status,
        current_period_end, cancel_at_period_end, past_due_since, state_at, amount, currency)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     on conflict (provider, provider_subscription_id) do nothing
     returning *`,
    [s.id, s.userId, s.provider, s.providerSubscriptionId, s.providerCustomerId, s.tier, s.status, s.currentPeriodEnd, s.cancelAtPeriodEnd, s.pastDueSince, s.stateAt, s.amount, s.currency],
  );
  return row ? toSubscriptionRecord(row) : null;
}

const updateStatement = (s: SubscriptionRecord): Statement => ({
  sql: `update subscriptions set provider_customer_id = ?, tier = ?, status = ?, current_period_end = ?, cancel_at_period_end = ?,
          past_due_since = ?, state_at = ?, amount = ?, currency = ?, updated_at = now()
        where id = ? returning *`,
  params: [s.providerCustomerId, s.tier, s.status, s.currentPeriodEnd, s.cancelAtPeriodEnd, s.pastDueSince, s.stateAt, s.amount, s.currency, s.id],
});

/**
 * Applies one change under the subscription's row lock. Creates the subscription when it does not
 * exist and the change says whose it is and which tier; otherwise answers UNKNOWN_SUBSCRIPTION.
 * With a `ledger`, the event's ledger row is claimed first (NOT_CLAIMED: a duplicate, nothing done)
 * and settled with the result in the same transaction.
 */
export async function applySubscriptionChange(tx: SqlTransaction, change: SubscriptionChange, audit: ChangeAudit, ledger?: ChangeLedger): Promise<ApplyResult> {
  const sql = asSql(tx);
  let held = await lockForChange(sql, change, ledger?.claim);
  if (ledger && !held.ledgerId) return { outcome: 'NOT_CLAIMED', userId: null, before: null, after: null, entitlementChanged: false };
  const ledgerId = held.ledgerId ?? undefined;
  /**
   * Runs `statements` (the first one's rows are returned) and the ledger's settle as one statement,
   * with a ledger the transaction's last (its COMMIT can travel with it).
   */
  const write = async (result: ApplyResult, statements: Statement[]): Promise<Row[]> => {
    const all = [...statements, ...(ledger ? ledger.settle(ledgerId!, result) : [])];
    return all.length > 0 ? together(sql, all, { last: Boolean(ledger) }) : [];
  };

  let current = held.current;
  let created: SubscriptionRecord | null = null;
  if (!current) {
    if (!held.userKnown) {
      const unknown: ApplyResult = { outcome: 'UNKNOWN_SUBSCRIPTION', userId: null, before: null, after: null, ledgerId, entitlementChanged: false };
      await write(unknown, []);
      return unknown;
    }
    created = await insertSubscription(sql, change);
    // Created meanwhile by a concurrent event (we waited on its insert): apply over it.
    if (!created) held = await lockForChange(sql, change);
    current = held.current;
  }
  if (current && isStale(current, change)) {
    const stale: ApplyResult = { outcome: 'STALE', userId: current.userId, before: current, after: current, ledgerId, entitlementChanged: false };
    await write(stale, []);
    return stale;
  }
  const after = created ?? nextState(current!, change);
  const auditRow = auditStatement({
    userId: after.userId,
    subscriptionId: after.id,
    provider: change.provider,
    type: audit.type,
    source: audit.source,
    // The user's sources before the change, read once: the tier after is theirs with this subscription's new row.
    tierBefore: resolveEntitlement(held.sources).tier,
    tierAfter: resolveEntitlement(withSource(held.sources, subscriptionSource(after))).tier,
    statusBefore: current?.status ?? null,
    statusAfter: after.status,
    amount: audit.amount ?? null,
    currency: audit.currency ?? null,
    payload: audit.payload,
  });
  const result: ApplyResult = { outcome: 'APPLIED', userId: after.userId, before: current, after, ledgerId, entitlementChanged: entitlementDiffers(current, after) };
  if (created) {
    await write(result, [auditRow]);
    return result;
  }
  const [row] = await write(result, [updateStatement(after), auditRow]);
  return { ...result, after: toSubscriptionRecord(row!) };
}
