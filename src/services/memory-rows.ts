import type { EntityManager } from '@mikro-orm/postgresql';
import type { Zone } from '../entities/enums.js';
import { Memory } from '../entities/Memory.js';
import { orbitSql, zoneOf } from './scoring.js';

/**
 * How memory rows are read, shared by every query that returns memories. The SQL always calls the
 * memories table `m`. Expired memories are never returned, even before the sweep deletes them.
 */

export const NOT_EXPIRED = '(m.expires_at is null or m.expires_at > now())';

/** The columns a memory is answered with, and its orbit score (the zone) computed by the database. */
export const MEMORY_COLUMNS = [
  'id',
  'user_id',
  'agent_id',
  'content',
  'importance',
  'tags',
  'metadata',
  'created_at',
  'updated_at',
  'last_recalled_at',
  'recall_count',
  'expires_at',
]
  .map((column) => `m.${column}`)
  .concat(`${orbitSql('m')} as orbit`)
  .join(', ');

/** A memory as the API answers it. */
export interface MemoryView {
  id: string;
  agent: string;
  content: string;
  importance: number;
  tags: string[];
  metadata: Record<string, unknown> | null;
  createdAt: Date;
  updatedAt: Date;
  lastRecalledAt: Date | null;
  recallCount: number;
  expiresAt: Date | null;
  zone: Zone;
}

export type MemoryRow = Record<string, unknown> & { id: string; orbit: number; created_at: string };

/** A row selected with MEMORY_COLUMNS; raw rows carry timestamps as strings, which `em.map` converts. */
export function toMemoryView(em: EntityManager, row: MemoryRow, agent: string): MemoryView {
  const memory = em.map(Memory, row);
  return {
    id: memory.id,
    agent,
    content: memory.content,
    importance: memory.importance,
    tags: memory.tags,
    metadata: memory.metadata,
    createdAt: memory.createdAt,
    updatedAt: memory.updatedAt,
    lastRecalledAt: memory.lastRecalledAt,
    recallCount: memory.recallCount,
    expiresAt: memory.expiresAt,
    zone: zoneOf(row.orbit),
  };
}

/** `?, ?, ?` for a list bound one value per placeholder (knex would expand an array bound as one). */
export const placeholders = (values: readonly unknown[]) => values.map(() => '?').join(', ');
