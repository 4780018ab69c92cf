import type { Zone } from '../../entities/enums.js';
import { orbitSql, zoneOf } from './scoring.js';

/**
 * How memory rows are read, shared by every query that returns memories. The SQL always calls the
 * memories table `m`. Expired memories are never returned, even before the sweep deletes them.
 */

export const NOT_EXPIRED = '(m.expires_at is null or m.expires_at > now())';

/** The columns of `memories` a memory is answered with. */
export const MEMORY_COLUMN_NAMES = [
  'id',
  'user_id',
  'agent_id',
  'content',
  'importance',
  'tags',
  'metadata',
  'occurred_at',
  'created_at',
  'updated_at',
  'expires_at',
] as const;

/**
 * A memory's recall count and time, in their own table (a bump writes there, not the memory row:
 * migrations/Migration20261207000001_recall_counts.ts); no row until the memory is first recalled.
 */
export const RECALLS_JOIN = 'left join memory_recalls r on r.memory_id = m.id';

/**
 * What a memory is answered with, selected from the memory row `m` and its recall counters `r`
 * (RECALLS_JOIN, or any row carrying `recall_count` and `last_recalled_at`), and its orbit score
 * (the zone) computed by the database.
 */
export function memoryColumns(m = 'm', r = 'r'): string {
  return MEMORY_COLUMN_NAMES.map((column) => `${m}.${column}`)
    .concat(`${r}.last_recalled_at`, `coalesce(${r}.recall_count, 0) as recall_count`, `${orbitSql(m, r)} as orbit`)
    .join(', ');
}

/** memoryColumns() of `m` with RECALLS_JOIN. */
export const MEMORY_COLUMNS = memoryColumns();

/** A memory as the API answers it. */
export interface MemoryView {
  id: string;
  agent: string;
  content: string;
  importance: number;
  tags: string[];
  metadata: Record<string, unknown> | null;
  occurredAt: Date;
  createdAt: Date;
  updatedAt: Date;
  lastRecalledAt: Date | null;
  recallCount: number;
  expiresAt: Date | null;
  zone: Zone;
}

export type MemoryRow = Record<string, unknown> & { id: string; orbit: number; created_at: string };

/**
 * A row selected with MEMORY_COLUMNS. Raw rows carry timestamps as PostgreSQL's text; numbers,
 * arrays and JSON come parsed. Converted by hand: mapping through the ORM would also put every
 * answered memory into the request's identity map, which no caller needs.
 */
export function toMemoryView(row: MemoryRow, agent: string): MemoryView {
  return {
    id: row.id,
    agent,
    content: row.content as string,
    importance: Number(row.importance),
    tags: (row.tags as string[] | null) ?? [],
    metadata: (row.metadata as Record<string, unknown> | null) ?? null,
    occurredAt: timestamp(row.occurred_at as string),
    createdAt: timestamp(row.created_at),
    updatedAt: timestamp(row.updated_at as string),
    lastRecalledAt: row.last_recalled_at == null ? null : timestamp(row.last_recalled_at as string),
    recallCount: Number(row.recall_count),
    expiresAt: row.expires_at == null ? null : timestamp(row.expires_at as string),
    zone: zoneOf(row.orbit),
  };
}

const timestamp = (value: string | Date) => (value instanceof Date ? value : new Date(value));

/** Which memories a listing or a recall covers: the user's live ones, optionally one agent's. */
export interface MemoryScope {
  userId: string;
  agent: string | null;
}

/** The scope as a predicate on `m`. */
export function scopeSql({ userId, agent }: MemoryScope): { sql: string; params: unknown[] } {
  if (agent === null) return { sql: `m.user_id = ? and ${NOT_EXPIRED}`, params: [userId] };
  return {
    sql: `m.user_id = ? and m.agent_id = (select id from agents where user_id = ? and name = ?) and ${NOT_EXPIRED}`,
    params: [userId, userId, agent],
  };
}

/** `?, ?, ?` for a list bound one value per placeholder (knex would expand an array bound as one). */
export const placeholders = (values: readonly unknown[]) => values.map(() => '?').join(', ');
