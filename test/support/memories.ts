import type { TestServer } from './server.js';

type Sql = Pick<TestServer, 'sql'>['sql'];

/** The user's quota counter for a resource, as stored. */
export async function counter(sql: Sql, userId: string, resource: 'MEMORIES' | 'AGENTS'): Promise<number> {
  const [row] = await sql<{ used: number }>(`select used from quota_counters where user_id = ? and resource = ?`, [userId, resource]);
  return row?.used ?? 0;
}

/** Rows the user really has (expired or not). */
export async function rowCount(sql: Sql, userId: string, table: 'memories' | 'agents'): Promise<number> {
  const [row] = await sql<{ n: number }>(`select count(*)::int as n from ${table} where user_id = ?`, [userId]);
  return row!.n;
}

/**
 * Puts `count` memories into the user's `default` agent straight in SQL (and counts them), for tests
 * that need a user near a cap without thousands of API calls.
 */
export async function seedMemories(sql: Sql, userId: string, count: number, label = 'seeded'): Promise<void> {
  await sql(
    `insert into memories (id, user_id, agent_id, content, importance)
     select gen_random_uuid(), a.user_id, a.id, ? || ' memory number ' || n, 0.5
     from agents a, generate_series(1, ?) as n where a.user_id = ? and a.name = 'default'`,
    [label, count, userId],
  );
  await sql(
    `insert into quota_counters (user_id, resource, used) values (?, 'MEMORIES', ?)
     on conflict (user_id, resource) do update set used = quota_counters.used + excluded.used`,
    [userId, count],
  );
}

/**
 * The term statistics recall ranks with (`memory_terms` plus the deltas not folded yet) that differ
 * from a recount of the memories themselves, per (agent, lexeme): none when they are exact.
 */
export async function termStatisticsDrift(sql: Sql): Promise<Record<string, unknown>[]> {
  const tf = 'coalesce(array_length(u.positions, 1), 1)';
  return sql(`
    with kept as (
      select agent_id, lexeme, sum(docs)::bigint as docs, sum(tokens)::bigint as tokens
      from (select agent_id, lexeme, docs, tokens from memory_terms union all select agent_id, lexeme, docs, tokens from memory_term_deltas) s
      group by agent_id, lexeme
      having sum(docs) <> 0 or sum(tokens) <> 0
    ),
    actual as (
      select m.agent_id, u.lexeme, count(*)::bigint as docs, sum(${tf})::bigint as tokens from memories m, unnest(m.search) u group by 1, 2
      union all
      select m.agent_id, '', count(*), coalesce(sum((select sum(${tf}) from unnest(m.search) u)), 0)::bigint from memories m group by 1
    )
    select agent_id, lexeme, k.docs as kept_docs, a.docs as actual_docs, k.tokens as kept_tokens, a.tokens as actual_tokens
    from kept k full join actual a using (agent_id, lexeme)
    where k.docs is distinct from a.docs or k.tokens is distinct from a.tokens`);
}
