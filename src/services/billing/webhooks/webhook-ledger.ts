import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Provider, WebhookOutcome } from '../../../entities/enums.js';
import { badInput, notFound } from '../../../errors.js';
import { safeErrorMessage } from '../../../logger.js';
import type { VerifiedWebhook } from '../../../providers/types.js';
import { isUuid } from '../../accounts/api-keys.js';
import { decodeKeysetCursor, encodeKeysetCursor } from '../../cursors.js';
import { run, type Sql, type Statement } from '../../../db/sql.js';

/**
 * The webhook ledger (`webhook_events`): one row per (provider, event id), written in the same
 * transaction as the change the event causes. Failed events are written on their own, after the
 * failed transaction rolled back, so they stay visible for a redelivery or a replay.
 */

export interface WebhookEventView {
  id: string;
  provider: Provider;
  eventId: string;
  type: string;
  outcome: WebhookOutcome;
  receivedAt: Date;
  error: string | null;
  payload: unknown;
  attempts: number;
}

type Row = Record<string, unknown>;

function toWebhookEventView(row: Row): WebhookEventView {
  return {
    id: row.id as string,
    provider: row.provider as Provider,
    eventId: row.event_id as string,
    type: row.type as string,
    outcome: row.outcome as WebhookOutcome,
    receivedAt: new Date(row.received_at as string),
    error: (row.error as string | null) ?? null,
    payload: typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload,
    attempts: Number(row.attempts),
  };
}

/** Longest error text kept on a ledger row. */
const MAX_ERROR = 1000;
/** What a failure records: never a database statement with its values (they may hold the payload). */
export const errorText = (err: unknown) => safeErrorMessage(err).slice(0, MAX_ERROR);

/**
 * Claims an event (a statement for inside the transaction that processes it): inserts its row, or
 * when it exists and is FAILED takes it over (locked, one more attempt); returns the row's `id`, or
 * no row for a duplicate (recorded and not FAILED). A concurrent delivery of the same event waits on
 * the first one's row until it commits (then it is a duplicate) or rolls back (then it claims it).
 */
export function claimStatement(provider: Provider, event: VerifiedWebhook): Statement {
  return {
    sql: `insert into webhook_events (id, provider, event_id, type, outcome, payload)
          values (?, ?, ?, ?, 'FAILED', ?::jsonb)
          on conflict (provider, event_id) do update set attempts = webhook_events.attempts + 1
            where webhook_events.outcome = 'FAILED'
          returning id`,
    params: [randomUUID(), provider, event.eventId, event.type.slice(0, 200), JSON.stringify(event.payload)],
  };
}

/** `claimStatement` on its own: the claimed row's id, or null for a duplicate. */
export async function claimWebhookEvent(sql: Sql, provider: Provider, event: VerifiedWebhook): Promise<string | null> {
  const [row] = await run<{ id: string }>(sql, claimStatement(provider, event));
  return row?.id ?? null;
}

/** The event is in the ledger with an outcome other than FAILED. */
export async function isSettled(em: EntityManager, provider: Provider, eventId: string): Promise<boolean> {
  const rows = await em.execute(`select 1 from webhook_events where provider = ? and event_id = ? and outcome <> 'FAILED'`, [provider, eventId]);
  return rows.length > 0;
}

export interface SettledEvent {
  outcome: WebhookOutcome;
  note: string | null;
  userId: string | null;
  subscriptionId: string | null;
}

/** Records a claimed event's outcome (the attempt was counted by the claim). */
export function settleStatement(id: string, result: SettledEvent): Statement {
  return {
    sql: `update webhook_events set outcome = ?, error = ?, user_id = ?, subscription_id = ?, processed_at = now() where id = ? returning id`,
    params: [result.outcome, result.note, result.userId, result.subscriptionId, id],
  };
}

export async function settleWebhookEvent(sql: Sql, id: string, result: SettledEvent): Promise<void> {
  await run(sql, settleStatement(id, result));
}

/**
 * Records an event whose processing failed (its transaction rolled back). An event another delivery
 * applied meanwhile is left as it is.
 */
export async function recordWebhookFailure(em: EntityManager, provider: Provider, event: VerifiedWebhook, err: unknown): Promise<void> {
  await em.execute(
    `insert into webhook_events (id, provider, event_id, type, outcome, payload, error, processed_at)
     values (?, ?, ?, ?, 'FAILED', ?::jsonb, ?, now())
     on conflict (provider, event_id) do update set error = excluded.error, processed_at = now(), attempts = webhook_events.attempts + 1
       where webhook_events.outcome = 'FAILED'`,
    [randomUUID(), provider, event.eventId, event.type.slice(0, 200), JSON.stringify(event.payload), errorText(err)],
  );
}

export async function findWebhookEvent(em: EntityManager, id: string): Promise<WebhookEventView> {
  if (!isUuid(id)) throw notFound('Webhook event');
  const [row] = await em.execute<Row[]>(`select * from webhook_events where id = ?`, [id]);
  if (!row) throw notFound('Webhook event');
  return toWebhookEventView(row);
}

export interface WebhookEventFilter {
  provider?: Provider | null;
  outcome?: WebhookOutcome | null;
  eventId?: string | null;
}

export interface WebhookEventPage {
  edges: { cursor: string; node: WebhookEventView }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  filter: WebhookEventFilter;
}

const MAX_WEBHOOK_PAGE = 200;

/** Newest first, keyset cursors on (received_at, id), as the memories listing. */
export async function listWebhookEvents(em: EntityManager, filter: WebhookEventFilter, page: { first: number; after?: string | null }): Promise<WebhookEventPage> {
  if (!Number.isInteger(page.first) || page.first < 1 || page.first > MAX_WEBHOOK_PAGE) throw badInput('first', `first must be between 1 and ${MAX_WEBHOOK_PAGE}`);
  const after = page.after ? decodeKeysetCursor(page.after) : null;
  const where = filterSql(filter);
  const rows = await em.execute<Row[]>(
    `select *, received_at::text as position from webhook_events
     where ${where.sql} ${after ? 'and (received_at, id) < (?::timestamptz, ?::uuid)' : ''}
     order by received_at desc, id desc limit ?`,
    [...where.params, ...(after ?? []), page.first + 1],
  );
  const edges = rows.slice(0, page.first).map((row) => ({
    cursor: encodeKeysetCursor(row.position as string, row.id as string),
    node: toWebhookEventView(row),
  }));
  return { edges, pageInfo: { hasNextPage: rows.length > page.first, endCursor: edges.at(-1)?.cursor ?? null }, filter };
}

export async function countWebhookEvents(em: EntityManager, filter: WebhookEventFilter): Promise<number> {
  const where = filterSql(filter);
  const [row] = await em.execute<{ count: number }[]>(`select count(*)::int as count from webhook_events where ${where.sql}`, where.params);
  return row!.count;
}

function filterSql(filter: WebhookEventFilter): { sql: string; params: unknown[] } {
  const clauses = ['true'];
  const params: unknown[] = [];
  if (filter.provider) (clauses.push('provider = ?'), params.push(filter.provider));
  if (filter.outcome) (clauses.push('outcome = ?'), params.push(filter.outcome));
  if (filter.eventId) (clauses.push('event_id = ?'), params.push(filter.eventId));
  return { sql: clauses.join(' and '), params };
}
