import type { EntityManager } from '@mikro-orm/postgresql';
import { QuotaResource } from '../../entities/enums.js';
import { limitFor } from '../../plans.js';
import { takeQuotaSql, type QuotaCheck } from '../limits/quota.js';
import * as valid from './memory-input.js';
import { MEMORY_COLUMN_NAMES, memoryColumns, NOT_EXPIRED, toMemoryView, type MemoryRow, type MemoryView } from './memory-rows.js';

/**
 * The one statement that writes memories, shared by a store's transaction (memory-store.ts) and the
 * combined writes of concurrent single stores (store-combiner.ts), and the lock order both keep.
 */

export interface StoredMemory {
  memory: MemoryView;
  deduped: boolean;
}

export interface NewMemory {
  /** Time-ordered (see `memoryId`), made when the request is read: a batch's ids follow its order. */
  id: string;
  agent: string;
  content: string;
  importance: number;
  tags: string[];
  metadata: Record<string, unknown> | null;
  embedding: number[] | null;
  occurredAt: Date | null;
  expiresAt: Date | null;
  /** The key, and the field that carried it (for the error when it is reused with another input). */
  idempotency: { key: string; field: string } | null;
}

/** What writing rows needs: whose memories, in which transaction, under which plan. */
export interface RowDeps {
  em: EntityManager;
  userId: string;
  quota: QuotaCheck;
}

/** The later expiry of the existing memory and the new store; no expiry beats any date. */
const LATER_EXPIRY = `case when m.expires_at is null or excluded.expires_at is null then null else greatest(m.expires_at, excluded.expires_at) end`;

export interface PendingStore {
  item: NewMemory;
  vector: number[] | null;
}

/** A memory as stored: its row, and whether this store inserted it (false: deduplicated onto it). */
export type StoredRow = (MemoryRow & { inserted: boolean }) | undefined;

export const storedMemory = (row: NonNullable<StoredRow>, agent: string): StoredMemory => ({ memory: toMemoryView(row, agent), deduped: !row.inserted });

/**
 * One statement for any number of stores with distinct (agent, content): finds each agent, inserts
 * each memory or (identical trimmed content in the same agent) raises the existing one's importance
 * to the larger of the two and keeps the later expiry, and (unless the caller counts at the end of
 * its transaction) counts the new memories against the MEMORIES quota; over the cap it aborts
 * itself, inserts included (a quota refusal error). Rows are inserted in lock order. The result is
 * aligned with `stores`; a store has no row when its agent does not exist yet or its identical copy
 * has expired: `prepareAgentAndContent` fixes both.
 */
export async function storeRows(em: EntityManager, deps: RowDeps, stores: readonly PendingStore[], { countQuota = true } = {}): Promise<StoredRow[]> {
  const withVector = stores.some((s) => s.vector !== null);
  const limit = limitFor(deps.quota.entitlement.limits, QuotaResource.MEMORIES);
  const row = `(?::int, ?::uuid, ?::text, ?::text, ?::double precision, ?::text[], ?::jsonb, ?::timestamptz, ?::timestamptz${withVector ? ', ?::vector' : ''})`;
  const params: unknown[] = [];
  for (const [i, { item, vector }] of stores.entries()) {
    params.push(i, item.id, item.agent, item.content, item.importance, `{${item.tags.map(pgArrayElement).join(',')}}`);
    params.push(item.metadata === null ? null : JSON.stringify(item.metadata), item.occurredAt, item.expiresAt);
    if (withVector) params.push(vector === null ? null : valid.vectorLiteral(vector));
  }
  const sql = `
    with input (ord, id, agent, content, importance, tags, metadata, occurred_at, expires_at${withVector ? ', embedding' : ''}) as (
      values ${stores.map(() => row).join(', ')}
    ),
    agent as (select a.id, a.name from agents a where a.user_id = ? and a.name in (select agent from input) for key share),
    stored as (
      insert into memories as m (id, user_id, agent_id, content, importance, tags, metadata, occurred_at, expires_at${withVector ? ', embedding' : ''})
      select input.id, ?, agent.id, input.content, input.importance, input.tags, input.metadata, coalesce(input.occurred_at, now()), input.expires_at${withVector ? ', input.embedding' : ''}
      from input join agent on agent.name = input.agent
      order by input.agent collate "C", input.content collate "C"
      on conflict (agent_id, md5(content)) do update set
        importance = greatest(m.importance, excluded.importance),
        expires_at = ${LATER_EXPIRY},
        ${withVector ? 'embedding = coalesce(m.embedding, excluded.embedding),' : ''}
        updated_at = case when excluded.importance > m.importance or ${LATER_EXPIRY} is distinct from m.expires_at then now() else m.updated_at end
      where ${NOT_EXPIRED}
      returning ${MEMORY_COLUMN_NAMES.map((column) => `m.${column}`).join(', ')}, (m.xmax = 0) as inserted
    )${
      countQuota
        ? `,
    counted as (${takeQuotaSql(`select ?::uuid, '${QuotaResource.MEMORIES}', count(*)::int from stored where stored.inserted having count(*) > 0`, limit)})
    ${ANSWER}
    where case when stored.inserted and not exists (select 1 from counted) then refuse_over_quota('${QuotaResource.MEMORIES}') else true end`
        : `
    ${ANSWER}`
    }`;
  params.push(deps.userId, deps.userId);
  if (countQuota) params.push(deps.userId);
  const rows = await em.execute<(MemoryRow & { inserted: boolean; ord: number })[]>(sql, params);
  const aligned: StoredRow[] = new Array(stores.length).fill(undefined);
  for (const { ord, ...stored } of rows) aligned[ord] = stored as MemoryRow & { inserted: boolean };
  return aligned;
}

/** The stored rows as answers, in input order: a memory deduplicated onto an existing one keeps its recall counters. */
const ANSWER = `select input.ord, ${memoryColumns('stored', 'r')}, stored.inserted
    from stored join agent on agent.id = stored.agent_id join input on input.agent = agent.name and input.content = stored.content
    left join memory_recalls r on r.memory_id = stored.id`;

/** An element of a PostgreSQL array literal, quoted so any tag text survives. */
const pgArrayElement = (text: string) => `"${text.replace(/["\\]/g, (c) => `\\${c}`)}"`;

/** Indexes of `items` in lock order: by agent, then content, so two writers never wait on each other in a circle. */
export const lockOrder = (items: NewMemory[]) =>
  items.map((_, i) => i).sort((a, b) => compareText(items[a]!.agent, items[b]!.agent) || compareText(items[a]!.content, items[b]!.content));

/**
 * Code-point order: the order of PostgreSQL's "C" collation on UTF-8, which the SQL that takes row
 * locks in bulk orders by, so JavaScript and SQL lock in one order whatever the database's locale.
 * (Plain `<` compares UTF-16 code units, which puts characters beyond U+FFFF before U+E000–U+FFFF.)
 */
export function compareText(a: string, b: string): number {
  const shorter = Math.min(a.length, b.length);
  for (let i = 0; i < shorter; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

