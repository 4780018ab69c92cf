import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Agent } from '../../entities/Agent.js';
import { QuotaResource } from '../../entities/enums.js';
import { badInput, notFound } from '../../errors.js';
import { agentName, DEFAULT_AGENT } from './memory-input.js';
import { NOT_EXPIRED, placeholders } from './memory-rows.js';
import { addQuotaUsed, releaseQuota, reserveQuota, type QuotaCheck } from '../limits/quota.js';

/**
 * Agents (docs/memories.md): named memory spaces of one user, counted by the AGENTS quota in the same
 * transaction as their insert or delete. `default` always exists: it is created with the account,
 * and deleting it empties it instead.
 */

export async function listAgents(em: EntityManager, userId: string): Promise<Agent[]> {
  return em.find(Agent, { userId }, { orderBy: { createdAt: 'asc', name: 'asc' } });
}

/** Inserts the agent unless the user already has one of that name (then null). The caller counts it. */
async function insertAgent(tx: EntityManager, userId: string, name: string): Promise<Agent | null> {
  const [row] = await tx.execute(
    `insert into agents (id, user_id, name) values (?, ?, ?) on conflict (user_id, name) do nothing
     returning id, user_id, name, created_at`,
    [randomUUID(), userId, name],
  );
  return row ? tx.map(Agent, row) : null;
}

/** Gives an account its `default` agent if it has none (registration, the self-hosted owner). In the caller's transaction. */
export async function ensureDefaultAgent(tx: EntityManager, userId: string): Promise<void> {
  if (await insertAgent(tx, userId, DEFAULT_AGENT)) await addQuotaUsed(tx, userId, QuotaResource.AGENTS, 1);
}

export async function createAgent(em: EntityManager, userId: string, quota: QuotaCheck, rawName: string): Promise<Agent> {
  const name = agentName(rawName, 'name');
  return em.transactional(async (tx) => {
    const agent = await insertAgent(tx, userId, name);
    if (!agent) throw badInput('name', `An agent named "${name}" already exists`);
    await reserveQuota(tx, userId, QuotaResource.AGENTS, 1, quota);
    return agent;
  });
}

/**
 * The id of the agent a store writes into, created (under the AGENTS quota) when it is new. The row
 * is share-locked until the store commits, so a concurrent `deleteAgent` waits instead of leaving
 * the store pointing at a deleted agent.
 */
export async function agentIdForStore(tx: EntityManager, userId: string, name: string, quota: QuotaCheck): Promise<string> {
  for (;;) {
    const [found] = await tx.execute<{ id: string }[]>(`select id from agents where user_id = ? and name = ? for key share`, [userId, name]);
    if (found) return found.id;
    const created = await insertAgent(tx, userId, name);
    if (created) {
      await reserveQuota(tx, userId, QuotaResource.AGENTS, 1, quota);
      return created.id;
    }
    // Another request created it between the two statements: read it again.
  }
}

/** Deletes the agent and all its memories (`default` is only emptied), giving back their quota. */
export async function deleteAgent(em: EntityManager, userId: string, rawName: string): Promise<boolean> {
  const name = agentName(rawName, 'name');
  await em.transactional(async (tx) => {
    const [agent] = await tx.execute<{ id: string }[]>(`select id from agents where user_id = ? and name = ? for update`, [userId, name]);
    if (!agent) throw notFound('Agent');
    const [deleted] = await tx.execute<{ count: number }[]>(
      `with gone as (delete from memories where agent_id = ? returning 1) select count(*)::int as count from gone`,
      [agent.id],
    );
    // Counters in the stores' lock order (src/services/memories/memory-store.ts): AGENTS, then MEMORIES.
    if (name !== DEFAULT_AGENT) {
      await tx.execute(`delete from agents where id = ?`, [agent.id]);
      await releaseQuota(tx, userId, QuotaResource.AGENTS, 1);
    }
    await releaseQuota(tx, userId, QuotaResource.MEMORIES, deleted!.count);
  });
  return true;
}

/** Live memories per agent, in the order of `agentIds` (the batch function of the memoryCount DataLoader). */
export async function countMemoriesByAgent(em: EntityManager, userId: string, agentIds: readonly string[]): Promise<number[]> {
  const rows = await em.execute<{ agent_id: string; count: number }[]>(
    `select m.agent_id, count(*)::int as count from memories m
     where m.user_id = ? and m.agent_id in (${placeholders(agentIds)}) and ${NOT_EXPIRED}
     group by m.agent_id`,
    [userId, ...agentIds],
  );
  const counts = new Map(rows.map((r) => [r.agent_id, r.count]));
  return agentIds.map((id) => counts.get(id) ?? 0);
}
