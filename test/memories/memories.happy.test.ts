import { describe, expect, it } from 'vitest';
import { MemoriesDocument, MemoryDocument, type MemoriesQuery, StoreMemoriesDocument, StoreMemoryDocument } from '../../sdk/index.js';
import { Tier } from '../../src/entities/enums.js';
import { registerUser, registerUserWithTier, type TestUser } from '../support/accounts.js';
import { useTestServer } from '../support/server.js';

const ctx = useTestServer();

const proUser = () => registerUserWithTier(ctx.server, Tier.PRO);

async function allPages(user: TestUser, first: number, agent?: string): Promise<string[]> {
  const seen: string[] = [];
  let after: string | null = null;
  for (;;) {
    const { memories }: MemoriesQuery = await user.client.request(MemoriesDocument, { first, after, agent });
    seen.push(...memories.edges.map((e) => e.node.content));
    if (!memories.pageInfo.hasNextPage) return seen;
    after = memories.pageInfo.endCursor;
  }
}

describe('memory(id)', () => {
  it('answers null for an id that does not exist, and for a non-UUID id', async () => {
    const user = await registerUser(ctx.server);
    expect((await user.client.request(MemoryDocument, { id: '00000000-0000-4000-8000-000000000000' })).memory).toBeNull();
    expect((await user.client.request(MemoryDocument, { id: 'not-a-uuid' })).memory).toBeNull();
  });

  it('derives the zone from importance, recency and recall frequency', async () => {
    const user = await registerUser(ctx.server);
    const store = async (content: string, importance: number, daysAgo = 0) =>
      (await user.client.request(StoreMemoryDocument, { input: { content, importance, occurredAt: new Date(Date.now() - daysAgo * 86_400_000).toISOString() } }))
        .storeMemory.memory.id;
    const zone = async (id: string) => (await user.client.request(MemoryDocument, { id })).memory!.zone;

    const core = await store('core', 1); // 0.5 + 0.3 = 0.8
    const inner = await store('inner', 0.5); // 0.25 + 0.3 = 0.55
    const outer = await store('outer', 0.5, 30); // 0.25 + 0.15 = 0.4: recency counts from when it happened
    const belt = await store('belt', 0, 60); // 0.3 · 0.25 = 0.075
    const cloud = await store('cloud', 0, 365); // ≈ 0
    const frequent = await store('frequent', 0.6, 30);
    // Recalled 20 times, last when it happened: 0.3 + 0.15 + 0.2 · 0.8 = 0.61
    await ctx.server.sql(`insert into memory_recalls (memory_id, recall_count, last_recalled_at) select id, 20, occurred_at from memories where id = ?`, [frequent]);

    expect([await zone(core), await zone(inner), await zone(outer), await zone(belt), await zone(cloud), await zone(frequent)]).toEqual([
      'CORE',
      'INNER',
      'OUTER',
      'BELT',
      'CLOUD',
      'INNER',
    ]);
  });
});

describe('memories', () => {
  it('lists newest first and pages through everything exactly once', async () => {
    const user = await proUser();
    const contents = Array.from({ length: 7 }, (_, i) => `memory ${i}`);
    for (const content of contents) await user.client.request(StoreMemoryDocument, { input: { content } });
    expect(await allPages(user, 3)).toEqual([...contents].reverse());
    const { memories } = await user.client.request(MemoriesDocument, { first: 3 });
    expect(memories.totalCount).toBe(7);
    expect(memories.edges).toHaveLength(3);
    expect(memories.pageInfo).toEqual({ hasNextPage: true, endCursor: memories.edges[2]!.cursor });
  });

  it('keeps a stable order for memories stored in the same instant (one batch)', async () => {
    const user = await proUser();
    const inputs = Array.from({ length: 25 }, (_, i) => ({ content: `batch item ${i}` }));
    await user.client.request(StoreMemoriesDocument, { inputs });
    const paged = await allPages(user, 4);
    expect(paged).toHaveLength(25);
    expect(new Set(paged).size).toBe(25);
  });

  it('is stable under concurrent inserts: later pages neither repeat nor skip', async () => {
    const user = await proUser();
    for (let i = 0; i < 6; i++) await user.client.request(StoreMemoryDocument, { input: { content: `before ${i}` } });
    const first = (await user.client.request(MemoriesDocument, { first: 3 })).memories;
    await Promise.all(Array.from({ length: 5 }, (_, i) => user.client.request(StoreMemoryDocument, { input: { content: `during ${i}` } })));
    const second = (await user.client.request(MemoriesDocument, { first: 10, after: first.pageInfo.endCursor })).memories;
    expect([...first.edges, ...second.edges].map((e) => e.node.content)).toEqual(['before 5', 'before 4', 'before 3', 'before 2', 'before 1', 'before 0']);
    expect(second.totalCount).toBe(11);
  });

  it('filters by agent, and an agent without memories (or unknown) lists nothing', async () => {
    const user = await proUser();
    for (const input of [{ content: 'w1', agent: 'work' }, { content: 'h1', agent: 'home' }, { content: 'w2', agent: 'work' }]) {
      await user.client.request(StoreMemoryDocument, { input });
    }
    expect(await allPages(user, 1, 'work')).toEqual(['w2', 'w1']);
    const { memories } = await user.client.request(MemoriesDocument, { agent: 'nobody' });
    expect(memories).toEqual({ edges: [], pageInfo: { hasNextPage: false, endCursor: null }, totalCount: 0 });
    expect((await user.client.request(MemoriesDocument, { agent: 'work' })).memories.totalCount).toBe(2);
  });

  it('never lists or counts expired memories', async () => {
    const user = await registerUser(ctx.server);
    const { storeMemory } = await user.client.request(StoreMemoryDocument, { input: { content: 'short-lived', expiresAt: new Date(Date.now() + 60_000).toISOString() } });
    await user.client.request(StoreMemoryDocument, { input: { content: 'lasting' } });
    await ctx.server.sql(`update memories set expires_at = now() - interval '1 second' where id = ?`, [storeMemory.memory.id]);
    const { memories } = await user.client.request(MemoriesDocument, {});
    expect(memories.edges.map((e) => e.node.content)).toEqual(['lasting']);
    expect(memories.totalCount).toBe(1);
    expect((await user.client.request(MemoryDocument, { id: storeMemory.memory.id })).memory).toBeNull();
  });
});
