import { describe, expect, it } from 'vitest';
import { StoreMemoriesDocument } from '../../sdk/index.js';
import { Tier } from '../../src/entities/enums.js';
import { FOLD_JOB, VACUUM_JOB } from '../../src/jobs/memories.js';
import { MAINTAINED_TABLES } from '../../src/services/memories/memory-jobs.js';
import { registerUserWithTier } from '../support/accounts.js';
import { eventually } from '../support/eventually.js';
import { useTestServer } from '../support/server.js';

/**
 * Every fold deletes the deltas it moves and rewrites term rows; every recall rewrites counters.
 * Without VACUUM the dead row versions pile up and recall's statements read them on every call.
 * The server's upkeep removes them itself: the embedded database has no autovacuum, and a
 * PostgreSQL may run without it (this project's CI machines do).
 */

const ctx = useTestServer();

interface Activity {
  dead: number;
  vacuumed: boolean;
}
const activity = async (table: string): Promise<Activity> =>
  (await ctx.server.sql<Activity>(`select n_dead_tup::int as dead, last_vacuum is not null as vacuumed from pg_stat_user_tables where relname = ?`, [table]))[0]!;

describe('the vacuum job', () => {
  it('removes the dead rows folding leaves behind when nothing else vacuums', async () => {
    // As on a database without autovacuum, whatever this one's settings are.
    for (const table of MAINTAINED_TABLES) await ctx.server.sql(`alter table ${table} set (autovacuum_enabled = false)`);
    const user = await registerUserWithTier(ctx.server, Tier.PRO);
    for (let batch = 0; batch < 3; batch++) {
      const inputs = Array.from({ length: 100 }, (_, i) => ({ content: `note ${batch * 100 + i} about the garden, the budget and the trip` }));
      await user.client.request(StoreMemoriesDocument, { inputs });
    }
    await ctx.server.rt.scheduler.runNow(FOLD_JOB);
    // The database's activity counters arrive after the statements (each connection reports within ~10 s).
    await eventually(async () => (await activity('memory_term_deltas')).dead > 0, 'the fold to be counted', { pollMs: 200 });

    await ctx.server.rt.scheduler.runNow(VACUUM_JOB);

    expect(await activity('memory_term_deltas')).toEqual({ dead: 0, vacuumed: true });
  }, 60_000);
});
