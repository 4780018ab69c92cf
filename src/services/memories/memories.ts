import type { EntityManager } from '@mikro-orm/postgresql';
import { QuotaResource } from '../../entities/enums.js';
import { badInput, notFound } from '../../errors.js';
import { assertUuid, isUuid } from '../accounts/api-keys.js';
import { decodeKeysetCursor, encodeKeysetCursor } from '../cursors.js';
import { agentName } from './memory-input.js';
import { MEMORY_COLUMNS, NOT_EXPIRED, RECALLS_JOIN, scopeSql, toMemoryView, type MemoryRow, type MemoryScope, type MemoryView } from './memory-rows.js';
import { releaseQuota } from '../limits/quota.js';

/**
 * Reading and forgetting memories (docs/memories.md). Every query is bound to the caller's user id, so
 * another user's memory is indistinguishable from one that does not exist.
 */

export const MAX_PAGE_SIZE = 100;

/** A memory of this user, or null (another user's id included). */
export async function getMemory(em: EntityManager, userId: string, id: string): Promise<MemoryView | null> {
  if (!isUuid(id)) return null;
  const [row] = await em.execute<(MemoryRow & { agent: string })[]>(
    `select ${MEMORY_COLUMNS}, a.name as agent from memories m join agents a on a.id = m.agent_id ${RECALLS_JOIN}
     where m.id = ? and m.user_id = ? and ${NOT_EXPIRED}`,
    [id, userId],
  );
  return row ? toMemoryView(row, row.agent) : null;
}

export interface MemoryPage {
  edges: { cursor: string; node: MemoryView }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  scope: MemoryScope;
}

/**
 * Newest first, with keyset cursors on (createdAt, id): memories stored while a client pages
 * through land before its first page, so later pages neither repeat nor skip anything. A cursor is
 * only a position; the query is always bound to the caller, so a forged one reveals nothing.
 */
export async function listMemories(em: EntityManager, userId: string, args: { agent?: string | null; first: number; after?: string | null }): Promise<MemoryPage> {
  const scope: MemoryScope = { userId, agent: args.agent === null || args.agent === undefined ? null : agentName(args.agent, 'agent') };
  if (!Number.isInteger(args.first) || args.first < 1 || args.first > MAX_PAGE_SIZE) {
    throw badInput('first', `first must be between 1 and ${MAX_PAGE_SIZE}`);
  }
  const after = args.after ? decodeKeysetCursor(args.after) : null;
  const where = scopeSql(scope);
  const rows = await em.execute<(MemoryRow & { agent: string })[]>(
    `select ${MEMORY_COLUMNS}, a.name as agent from memories m join agents a on a.id = m.agent_id ${RECALLS_JOIN}
     where ${where.sql} ${after ? 'and (m.created_at, m.id) < (?::timestamptz, ?::uuid)' : ''}
     order by m.created_at desc, m.id desc
     limit ?`,
    [...where.params, ...(after ?? []), args.first + 1],
  );
  const edges = rows.slice(0, args.first).map((row) => ({ cursor: encodeCursor(row), node: toMemoryView(row, row.agent) }));
  return { edges, pageInfo: { hasNextPage: rows.length > args.first, endCursor: edges.at(-1)?.cursor ?? null }, scope };
}

export async function countMemories(em: EntityManager, scope: MemoryScope): Promise<number> {
  const where = scopeSql(scope);
  const [row] = await em.execute<{ count: number }[]>(`select count(*)::int as count from memories m where ${where.sql}`, where.params);
  return row!.count;
}

const encodeCursor = (row: MemoryRow) => encodeKeysetCursor(row.created_at, row.id);

/** Deletes a memory of this user at once, giving its quota back in the same transaction. */
export async function forgetMemory(em: EntityManager, userId: string, id: string): Promise<boolean> {
  assertUuid(id, 'Memory');
  await em.transactional(async (tx) => {
    const gone = await tx.execute(`delete from memories m where m.id = ? and m.user_id = ? and ${NOT_EXPIRED} returning m.id`, [id, userId]);
    if (gone.length === 0) throw notFound('Memory');
    await releaseQuota(tx, userId, QuotaResource.MEMORIES, 1);
  });
  return true;
}
