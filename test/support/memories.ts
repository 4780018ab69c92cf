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
