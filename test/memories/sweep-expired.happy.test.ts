import { describe, expect, it } from 'vitest';
import { AgentsDocument, StoreMemoriesDocument, StoreMemoryDocument } from '../../sdk/index.js';
import { SWEEP_JOB } from '../../src/jobs/memories.js';
import { registerUser } from '../support/accounts.js';
import { counter, rowCount } from '../support/memories.js';
import { useTestServer } from '../support/server.js';

const ctx = useTestServer();

const soon = () => new Date(Date.now() + 60_000).toISOString();

describe('the expiry sweep', () => {
  it('deletes expired memories of every user and gives their quota back in the same transaction', async () => {
    const [a, b] = [await registerUser(ctx.server), await registerUser(ctx.server)];
    await a.client.request(StoreMemoriesDocument, { inputs: [{ content: 'a1', expiresAt: soon() }, { content: 'a2', expiresAt: soon() }, { content: 'a3' }] });
    await b.client.request(StoreMemoryDocument, { input: { content: 'b1', expiresAt: soon() } });
    // Until the sweep, expired memories are hidden from reads but still take their room.
    await ctx.server.sql(`update memories set expires_at = now() - interval '1 second' where expires_at is not null and user_id in (?, ?)`, [a.id, b.id]);
    expect((await a.client.request(AgentsDocument)).agents[0]!.memoryCount).toBe(1);
    expect(await counter(ctx.server.sql, a.id, 'MEMORIES')).toBe(3);

    await ctx.server.rt.scheduler.runNow(SWEEP_JOB);
    expect([await rowCount(ctx.server.sql, a.id, 'memories'), await counter(ctx.server.sql, a.id, 'MEMORIES')]).toEqual([1, 1]);
    expect([await rowCount(ctx.server.sql, b.id, 'memories'), await counter(ctx.server.sql, b.id, 'MEMORIES')]).toEqual([0, 0]);
  });

  it('works through more expired memories than one batch', async () => {
    const user = await registerUser(ctx.server);
    await ctx.server.sql(
      `insert into memories (id, user_id, agent_id, content, importance, expires_at)
       select gen_random_uuid(), a.user_id, a.id, 'old ' || n, 0.5, now() - interval '1 minute'
       from agents a, generate_series(1, 2500) as n where a.user_id = ?`,
      [user.id],
    );
    await ctx.server.sql(`insert into quota_counters (user_id, resource, used) values (?, 'MEMORIES', 2500)`, [user.id]);
    await ctx.server.rt.scheduler.runNow(SWEEP_JOB);
    expect([await rowCount(ctx.server.sql, user.id, 'memories'), await counter(ctx.server.sql, user.id, 'MEMORIES')]).toEqual([0, 0]);
  });

  it('forgets idempotency keys older than 24 hours', async () => {
    const user = await registerUser(ctx.server);
    await user.client.request(StoreMemoryDocument, { input: { content: 'keyed', idempotencyKey: 'old-key' } });
    await ctx.server.sql(`update memory_idempotency_keys set created_at = now() - interval '25 hours' where user_id = ?`, [user.id]);
    await ctx.server.rt.scheduler.runNow(SWEEP_JOB);
    expect(await ctx.server.sql(`select 1 from memory_idempotency_keys where user_id = ?`, [user.id])).toEqual([]);
  });
});
