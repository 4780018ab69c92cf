import { describe, expect, it } from 'vitest';
import { AgentsDocument, MemoryDocument, StoreMemoryDocument, UsageDocument } from '../../sdk/index.js';
import { Tier } from '../../src/entities/enums.js';
import { registerUser, registerUserWithTier } from '../support/accounts.js';
import { counter, rowCount, seedMemories } from '../support/memories.js';
import { useTestServer } from '../support/server.js';

const ctx = useTestServer();

describe('storeMemory', () => {
  it('stores trimmed content into the default agent with the defaults, and counts it', async () => {
    const user = await registerUser(ctx.server);
    const { storeMemory } = await user.client.request(StoreMemoryDocument, { input: { content: '  The user prefers green tea in the morning  ' } });
    expect(storeMemory.deduped).toBe(false);
    const memory = storeMemory.memory;
    expect(memory).toMatchObject({
      agent: 'default',
      content: 'The user prefers green tea in the morning',
      importance: 0.5,
      tags: [],
      metadata: null,
      lastRecalledAt: null,
      recallCount: 0,
      expiresAt: null,
      zone: 'INNER',
    });
    expect(memory.createdAt).toBe(memory.updatedAt);
    expect(memory.occurredAt).toBe(memory.createdAt); // when it happened: the store, unless told
    const { memory: read } = await user.client.request(MemoryDocument, { id: memory.id });
    expect(read).toEqual(memory);
    expect(await counter(ctx.server.sql, user.id, 'MEMORIES')).toBe(1);
    const { usage } = await user.client.request(UsageDocument);
    expect(usage.memories).toBe(1);
  });

  it('keeps tags (trimmed, once each), metadata, importance and expiry', async () => {
    const user = await registerUser(ctx.server);
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const metadata = { source: 'chat', turn: 12, nested: { ok: true, list: [1, 'two'] } };
    const { storeMemory } = await user.client.request(StoreMemoryDocument, {
      input: { content: 'Meeting moved to Friday', importance: 1, tags: [' work ', 'calendar', 'work'], metadata, expiresAt },
    });
    expect(storeMemory.memory).toMatchObject({ importance: 1, tags: ['work', 'calendar'], metadata, expiresAt, zone: 'CORE' });
  });

  it('keeps tags holding quotes, backslashes, commas, braces and NULL-like text exactly, alone and in concurrent stores', async () => {
    const user = await registerUser(ctx.server);
    const tags = ['say "hi"', 'back\\slash', 'a,b', '{braces}', 'NULL', 'ünïcode 🙂'];
    const alone = await user.client.request(StoreMemoryDocument, { input: { content: 'tricky tags alone', tags } });
    expect(alone.storeMemory.memory.tags).toEqual(tags);
    // Concurrent stores of one user are written together in one statement (the store combiner).
    const together = await Promise.all(
      Array.from({ length: 12 }, (_, i) => user.client.request(StoreMemoryDocument, { input: { content: `tricky tags ${i}`, tags: [...tags, `n${i}`] } })),
    );
    together.forEach(({ storeMemory }, i) => expect(storeMemory.memory).toMatchObject({ content: `tricky tags ${i}`, tags: [...tags, `n${i}`] }));
    const { memory } = await user.client.request(MemoryDocument, { id: together[5]!.storeMemory.memory.id });
    expect(memory?.tags).toEqual([...tags, 'n5']);
  });

  it('at the cap, storing content the agent already holds still answers deduped (it needs no room); new content is refused', async () => {
    const user = await registerUser(ctx.server);
    await seedMemories(ctx.server.sql, user.id, 4_999);
    const { storeMemory: last } = await user.client.request(StoreMemoryDocument, { input: { content: 'the last one that fits', importance: 0.2 } });
    const again = await user.client.request(StoreMemoryDocument, { input: { content: 'the last one that fits', importance: 0.9 } });
    expect(again.storeMemory).toMatchObject({ deduped: true, memory: { id: last.memory.id, importance: 0.9 } });
    await expect(user.client.request(StoreMemoryDocument, { input: { content: 'something new' } })).rejects.toMatchObject({ code: 'QUOTA_EXCEEDED' });
    expect(await counter(ctx.server.sql, user.id, 'MEMORIES')).toBe(5_000);
    expect(await rowCount(ctx.server.sql, user.id, 'memories')).toBe(5_000);
  });

  it('accepts the limits exactly: 10,000 characters (emoji count as one), 20 tags of 64, importance 0 and 1', async () => {
    const user = await registerUser(ctx.server);
    const content = '🙂'.repeat(10_000);
    const tags = Array.from({ length: 20 }, (_, i) => `${i}`.padEnd(64, 'x'));
    const { storeMemory } = await user.client.request(StoreMemoryDocument, { input: { content, tags, importance: 0 } });
    expect(storeMemory.memory.content).toBe(content);
    expect(storeMemory.memory.tags).toEqual(tags);
    const top = await user.client.request(StoreMemoryDocument, { input: { content: 'x', importance: 1 } });
    expect(top.storeMemory.memory.importance).toBe(1);
  });

  it('stores identical content once per agent: the existing memory comes back deduped, importance raised to the larger', async () => {
    const user = await registerUser(ctx.server);
    const first = (await user.client.request(StoreMemoryDocument, { input: { content: 'Allergic to peanuts', importance: 0.4 } })).storeMemory;
    const higher = (await user.client.request(StoreMemoryDocument, { input: { content: '  Allergic to peanuts\n', importance: 0.9 } })).storeMemory;
    expect(higher.deduped).toBe(true);
    expect(higher.memory.id).toBe(first.memory.id);
    expect(higher.memory.importance).toBe(0.9);
    expect(higher.memory.createdAt).toBe(first.memory.createdAt);
    const lower = (await user.client.request(StoreMemoryDocument, { input: { content: 'Allergic to peanuts', importance: 0.1 } })).storeMemory;
    expect(lower).toMatchObject({ deduped: true, memory: { id: first.memory.id, importance: 0.9 } });
    expect(await rowCount(ctx.server.sql, user.id, 'memories')).toBe(1);
    expect(await counter(ctx.server.sql, user.id, 'MEMORIES')).toBe(1);
  });

  it('a duplicate keeps the later expiry; no expiry beats any date', async () => {
    const user = await registerUser(ctx.server);
    const soon = new Date(Date.now() + 60_000).toISOString();
    const later = new Date(Date.now() + 3_600_000).toISOString();
    await user.client.request(StoreMemoryDocument, { input: { content: 'Parked on level 3', expiresAt: soon } });
    const extended = (await user.client.request(StoreMemoryDocument, { input: { content: 'Parked on level 3', expiresAt: later } })).storeMemory;
    expect(extended.memory.expiresAt).toBe(later);
    const kept = (await user.client.request(StoreMemoryDocument, { input: { content: 'Parked on level 3', expiresAt: soon } })).storeMemory;
    expect(kept.memory.expiresAt).toBe(later);
    const forever = (await user.client.request(StoreMemoryDocument, { input: { content: 'Parked on level 3' } })).storeMemory;
    expect(forever.memory.expiresAt).toBeNull();
  });

  it('replaces an identical memory that has expired but is not swept yet', async () => {
    const user = await registerUser(ctx.server);
    const old = (await user.client.request(StoreMemoryDocument, { input: { content: 'Gate B12', importance: 0.9 } })).storeMemory.memory;
    await ctx.server.sql(`update memories set expires_at = now() - interval '1 second' where id = ?`, [old.id]);
    const fresh = (await user.client.request(StoreMemoryDocument, { input: { content: 'Gate B12', importance: 0.2 } })).storeMemory;
    expect(fresh.deduped).toBe(false);
    expect(fresh.memory.id).not.toBe(old.id);
    expect(fresh.memory.importance).toBe(0.2);
    expect(await rowCount(ctx.server.sql, user.id, 'memories')).toBe(1);
    expect(await counter(ctx.server.sql, user.id, 'MEMORIES')).toBe(1);
  });

  it('stores the same content in two agents separately, creating an unknown agent on first use', async () => {
    const user = await registerUserWithTier(ctx.server, Tier.PRO);
    const a = (await user.client.request(StoreMemoryDocument, { input: { content: 'Likes jazz' } })).storeMemory;
    const b = (await user.client.request(StoreMemoryDocument, { input: { content: 'Likes jazz', agent: 'music-bot' } })).storeMemory;
    expect(b).toMatchObject({ deduped: false, memory: { agent: 'music-bot' } });
    expect(b.memory.id).not.toBe(a.memory.id);
    const { agents } = await user.client.request(AgentsDocument);
    expect(agents.map((agent) => [agent.name, agent.memoryCount])).toEqual([
      ['default', 1],
      ['music-bot', 1],
    ]);
    expect(await counter(ctx.server.sql, user.id, 'AGENTS')).toBe(2);
    expect(await counter(ctx.server.sql, user.id, 'MEMORIES')).toBe(2);
  });

  it('answers a retry with the same idempotencyKey with the first result for 24 hours, storing nothing more', async () => {
    const user = await registerUser(ctx.server);
    const input = { content: 'Flight LH 714 at 9:40', idempotencyKey: 'req-1', tags: ['travel'], metadata: { b: 1, a: 2 } };
    const first = (await user.client.request(StoreMemoryDocument, { input })).storeMemory;
    const retry = (await user.client.request(StoreMemoryDocument, { input: { ...input, metadata: { a: 2, b: 1 } } })).storeMemory;
    expect(retry).toEqual(first);
    expect(retry.deduped).toBe(false); // the first answer, although the content now exists
    expect(await counter(ctx.server.sql, user.id, 'MEMORIES')).toBe(1);

    await ctx.server.sql(`update memory_idempotency_keys set created_at = now() - interval '24 hours 1 second' where user_id = ?`, [user.id]);
    const afterWindow = (await user.client.request(StoreMemoryDocument, { input })).storeMemory;
    expect(afterWindow).toMatchObject({ deduped: true, memory: { id: first.memory.id } });
  });

  it('keeps occurredAt as given (an imported old conversation); a duplicate keeps the first one', async () => {
    const user = await registerUser(ctx.server);
    const said = '2023-05-08T13:56:00.000Z';
    const { storeMemory } = await user.client.request(StoreMemoryDocument, { input: { content: 'Caroline: I went to a support group yesterday.', occurredAt: said } });
    expect(storeMemory.memory.occurredAt).toBe(said);
    expect(storeMemory.memory.zone).toBe('OUTER'); // 0.5 · 0.5, no recency: it happened long ago
    const again = await user.client.request(StoreMemoryDocument, { input: { content: 'Caroline: I went to a support group yesterday.', occurredAt: '2024-01-01T00:00:00Z' } });
    expect(again.storeMemory).toMatchObject({ deduped: true, memory: { id: storeMemory.memory.id, occurredAt: said } });
  });

  it('meters stores in usage', async () => {
    const user = await registerUser(ctx.server);
    await user.client.request(StoreMemoryDocument, { input: { content: 'one' } });
    await user.client.request(StoreMemoryDocument, { input: { content: 'one' } });
    // A report read while a flush is writing misses the batch in flight (UsageMeter), so flush first.
    await ctx.server.rt.scheduler.runNow('flush-usage');
    const { usage } = await user.client.request(UsageDocument);
    expect(usage.storesThisPeriod).toBe(2);
    expect(usage.memories).toBe(1);
  });
});
