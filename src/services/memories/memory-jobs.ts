import type { EntityManager } from '@mikro-orm/postgresql';
import { QuotaResource } from '../../entities/enums.js';
import { IDEMPOTENCY_WINDOW } from './idempotency.js';
import { compareText } from './store-rows.js';
import { releaseQuota } from '../limits/quota.js';

/** Scheduled upkeep of memories. Safe to run on every instance at once. */

const SWEEP_BATCH = 1_000;

/**
 * Deletes expired memories (reads already skip them) and gives their quota back in the same
 * transaction; also forgets idempotency keys past their window. Returns the memories deleted.
 */
export async function sweepExpiredMemories(em: EntityManager): Promise<number> {
  let swept = 0;
  for (;;) {
    const deleted = await em.transactional(async (tx) => {
      // SKIP LOCKED: instances sweeping together take different rows, so each is counted once.
      const gone = await tx.execute<{ user_id: string }[]>(
        `delete from memories where id in (
           select id from memories where expires_at <= now() order by expires_at limit ${SWEEP_BATCH} for update skip locked
         ) returning user_id`,
      );
      const perUser = new Map<string, number>();
      for (const { user_id } of gone) perUser.set(user_id, (perUser.get(user_id) ?? 0) + 1);
      // Counters in user order: two instances sweeping at once lock them in the same order.
      for (const [userId, count] of [...perUser].sort(([a], [b]) => compareText(a, b))) {
        await releaseQuota(tx, userId, QuotaResource.MEMORIES, count);
      }
      return gone.length;
    });
    swept += deleted;
    if (deleted < SWEEP_BATCH) break;
  }
  await em.execute(`delete from memory_idempotency_keys where created_at <= now() - interval '${IDEMPOTENCY_WINDOW}'`);
  return swept;
}

/** Term-statistics deltas folded per transaction. */
const FOLD_BATCH = 10_000;

/**
 * Folds the term-statistics deltas that stores append (`memory_term_deltas`, see the recall
 * migration) into `memory_terms`, so a recall sums few rows. Sums are unchanged by folding: each
 * delta moves in the transaction that adds it. SKIP LOCKED: instances folding together take
 * different deltas; each upserts its sums in key order in one statement, so they cannot deadlock,
 * and stores never touch `memory_terms`. Returns the deltas folded.
 */
export async function foldTermDeltas(em: EntityManager): Promise<number> {
  let folded = 0;
  for (;;) {
    const moved = await em.transactional(async (tx) => {
      const rows = await tx.execute<{ agent_id: string; lexeme: string; docs: string; tokens: string; moved: number }[]>(
        `with moved as (
           delete from memory_term_deltas d
           where d.ctid = any(array(select ctid from memory_term_deltas limit ${FOLD_BATCH} for update skip locked))
           returning d.agent_id, d.lexeme, d.docs, d.tokens
         ),
         summed as (select agent_id, lexeme, sum(docs) as docs, sum(tokens) as tokens, count(*) as n from moved group by agent_id, lexeme),
         upserted as (
           insert into memory_terms as t (agent_id, lexeme, docs, tokens)
           select agent_id, lexeme, docs, tokens from summed order by agent_id, lexeme
           on conflict (agent_id, lexeme) do update set docs = t.docs + excluded.docs, tokens = t.tokens + excluded.tokens
           returning t.agent_id, t.lexeme, t.docs, t.tokens
         )
         select u.agent_id, u.lexeme, u.docs, u.tokens, (select coalesce(sum(n), 0)::int from summed) as moved
         from upserted u
         union all
         select null, null, null, null, (select coalesce(sum(n), 0)::int from summed)`,
      );
      // Keys that no memory holds any more (forgotten, swept, their agent deleted) are dropped.
      const empty = rows.filter((row) => row.agent_id !== null && Number(row.docs) === 0 && Number(row.tokens) === 0);
      if (empty.length > 0) {
        await tx.execute(
          `delete from memory_terms t using json_to_recordset(?::json) as z(agent_id uuid, lexeme text)
           where t.agent_id = z.agent_id and t.lexeme = z.lexeme and t.docs = 0 and t.tokens = 0`,
          [JSON.stringify(empty.map(({ agent_id, lexeme }) => ({ agent_id, lexeme })))],
        );
      }
      return rows.find((row) => row.agent_id === null)!.moved;
    });
    folded += moved;
    if (moved < FOLD_BATCH) return folded;
  }
}

/**
 * The tables a store, a fold or a recall rewrites rows of. Each update or delete leaves a dead row
 * version behind until VACUUM; recall reads all four (the deltas by a bitmap scan, which visits dead
 * versions every time), so they slow down as they bloat.
 */
export const MAINTAINED_TABLES = ['memories', 'memory_terms', 'memory_term_deltas', 'memory_recalls'] as const;

/** PostgreSQL's autovacuum defaults: a table is due when this many rows plus this share of its live rows changed. */
const VACUUM_DUE = { base: 50, share: 0.2 };
const ANALYZE_DUE = { base: 50, share: 0.1 };

interface TableActivity {
  relname: string;
  n_live_tup: string;
  n_dead_tup: string;
  n_mod_since_analyze: string;
}

/**
 * VACUUM ANALYZE (or ANALYZE) the memory tables that changed past autovacuum's default thresholds,
 * from the database's own activity counters. Autovacuum usually gets there first; this keeps recall
 * fast where it does not: the embedded database has none, and a PostgreSQL may run with it off
 * (this project's CI machines do) or behind. Measured on 20,000 memories after a bench's stores with
 * nothing vacuumed: the query-words statement took 7.5 ms, 0.7 ms after a vacuum (docs/recall.md).
 * SKIP_LOCKED: a table another instance or autovacuum is working on is left to it.
 */
export async function vacuumMemoryTables(em: EntityManager): Promise<{ vacuumed: string[]; analyzed: string[] }> {
  const tables = await em.execute<TableActivity[]>(
    `select relname, n_live_tup, n_dead_tup, n_mod_since_analyze from pg_stat_user_tables
     where schemaname = current_schema() and relname in (${MAINTAINED_TABLES.map(() => '?').join(', ')})`,
    [...MAINTAINED_TABLES],
  );
  const due = (changed: string, live: string, rule: typeof VACUUM_DUE) => Number(changed) > rule.base + rule.share * Number(live);
  const vacuumed = tables.filter((t) => due(t.n_dead_tup, t.n_live_tup, VACUUM_DUE)).map((t) => t.relname);
  const analyzed = tables.filter((t) => !vacuumed.includes(t.relname) && due(t.n_mod_since_analyze, t.n_live_tup, ANALYZE_DUE)).map((t) => t.relname);
  // One statement per table (names from MAINTAINED_TABLES only): VACUUM cannot run in a transaction block.
  for (const table of vacuumed) await em.execute(`vacuum (analyze, skip_locked) ${table}`);
  for (const table of analyzed) await em.execute(`analyze (skip_locked) ${table}`);
  return { vacuumed, analyzed };
}
