import { describe, expect, it } from 'vitest';
import { DeleteAgentDocument, ForgetMemoryDocument, RecallMemoriesDocument, StoreMemoriesDocument, StoreMemoryDocument } from '../../sdk/index.js';
import { Tier } from '../../src/entities/enums.js';
import { FOLD_JOB, SWEEP_JOB } from '../../src/jobs/memories.js';
import { registerUserWithTier } from '../support/accounts.js';
import { termStatisticsDrift } from '../support/memories.js';
import { useTestServer } from '../support/server.js';

/**
 * BM25 ranks with per-agent term statistics (memories per word, lengths) kept by triggers in the
 * same statement as every insert and delete. They must equal a recount of the memories after
 * anything that adds or removes memories, and folding their deltas must not change them.
 */

const ctx = useTestServer();

const exact = async () => expect(await termStatisticsDrift(ctx.server.sql)).toEqual([]);

describe('term statistics', () => {
  it('count every way memories come and go: stores, batches, dedupes, forget, deleteAgent, the sweep, a cascade', async () => {
    const user = await registerUserWithTier(ctx.server, Tier.PRO);
    const { storeMemory } = await user.client.request(StoreMemoryDocument, { input: { content: 'The cat sat on the mat, the cat slept.' } });
    await exact();
    await user.client.request(StoreMemoriesDocument, {
      inputs: [{ content: 'Dogs bark at cats' }, { content: 'Dogs bark at cats' }, { content: 'A third memory', agent: 'other' }, { content: 'The cat sat on the mat, the cat slept.' }],
    });
    await exact();
    await Promise.all(Array.from({ length: 20 }, (_, i) => user.client.request(StoreMemoryDocument, { input: { content: `concurrent note ${i % 10} about cats` } })));
    await exact();
    await user.client.request(ForgetMemoryDocument, { id: storeMemory.memory.id });
    await exact();
    await user.client.request(DeleteAgentDocument, { name: 'other' });
    await exact();
    await user.client.request(StoreMemoryDocument, { input: { content: 'soon gone', expiresAt: new Date(Date.now() + 60_000).toISOString() } });
    await ctx.server.sql(`update memories set expires_at = now() - interval '1 second' where user_id = ? and content = 'soon gone'`, [user.id]);
    await ctx.server.rt.scheduler.runNow(SWEEP_JOB);
    await exact();
    await user.client.request(DeleteAgentDocument, { name: 'default' });
    await exact();
    const other = await registerUserWithTier(ctx.server, Tier.PRO);
    await other.client.request(StoreMemoriesDocument, { inputs: [{ content: 'left behind' }, { content: 'by a deleted account', agent: 'x' }] });
    await ctx.server.sql(`delete from users where id = ?`, [other.id]);
    await exact();
  });

  it('stay exact while deltas are folded concurrently with stores and deletes, and folding drops words no memory holds', async () => {
    const user = await registerUserWithTier(ctx.server, Tier.PRO);
    const work = Array.from({ length: 30 }, (_, i) =>
      i % 3 === 0
        ? user.client.request(StoreMemoriesDocument, { inputs: Array.from({ length: 10 }, (_, j) => ({ content: `batch ${i} item ${j} word${j}` })) })
        : user.client.request(StoreMemoryDocument, { input: { content: `single ${i} rare${i}` } }),
    );
    await Promise.all([...work, ctx.server.rt.scheduler.runNow(FOLD_JOB), ctx.server.rt.scheduler.runNow(FOLD_JOB)]);
    await exact();
    await user.client.request(DeleteAgentDocument, { name: 'default' });
    await ctx.server.rt.scheduler.runNow(FOLD_JOB);
    await exact();
    const [left] = await ctx.server.sql<{ deltas: number; zero: number }>(
      `select (select count(*) from memory_term_deltas)::int as deltas, (select count(*) from memory_terms where docs = 0 and tokens = 0)::int as zero`,
    );
    expect(left).toEqual({ deltas: 0, zero: 0 });
    // A word whose memories are all gone is no candidate, and recall still answers.
    expect((await user.client.request(RecallMemoriesDocument, { input: { query: 'rare3 word4' } })).recallMemories).toEqual([]);
  });

  it('refuse a change of content, which the statistics could not follow', async () => {
    const user = await registerUserWithTier(ctx.server, Tier.PRO);
    const { storeMemory } = await user.client.request(StoreMemoryDocument, { input: { content: 'fixed words' } });
    await expect(ctx.server.sql(`update memories set content = 'other words' where id = ?`, [storeMemory.memory.id])).rejects.toThrow(/never changes/);
    await ctx.server.sql(`update memories set importance = 0.9, tags = array['other'] where id = ?`, [storeMemory.memory.id]);
    await exact();
  });
});
