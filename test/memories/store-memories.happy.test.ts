import { describe, expect, it } from 'vitest';
import { StoreMemoriesDocument, StoreMemoryDocument } from '../../sdk/index.js';
import { Tier } from '../../src/entities/enums.js';
import { registerUser, registerUserWithTier } from '../support/accounts.js';
import { counter, rowCount, seedMemories } from '../support/memories.js';
import { useTestServer } from '../support/server.js';

const ctx = useTestServer();

describe('storeMemories', () => {
  it('stores a batch across agents in one call and answers in input order', async () => {
    const user = await registerUserWithTier(ctx.server, Tier.PRO);
    const inputs = [
      { content: 'zebra crossing near the office' },
      { content: 'Alpha release on Monday', agent: 'work' },
      { content: 'Milk is out', agent: 'home', tags: ['shopping'] },
      { content: 'apple pie recipe' },
    ];
    const { storeMemories } = await user.client.request(StoreMemoriesDocument, { inputs });
    expect(storeMemories.map((s) => [s.memory.content, s.memory.agent, s.deduped])).toEqual([
      ['zebra crossing near the office', 'default', false],
      ['Alpha release on Monday', 'work', false],
      ['Milk is out', 'home', false],
      ['apple pie recipe', 'default', false],
    ]);
    expect(await counter(ctx.server.sql, user.id, 'MEMORIES')).toBe(4);
    expect(await counter(ctx.server.sql, user.id, 'AGENTS')).toBe(3);
  });

  it('dedupes within the batch and against stored memories', async () => {
    const user = await registerUser(ctx.server);
    const existing = (await user.client.request(StoreMemoryDocument, { input: { content: 'Lives in Busan' } })).storeMemory.memory;
    const { storeMemories } = await user.client.request(StoreMemoriesDocument, {
      inputs: [{ content: 'Works at a bakery' }, { content: 'Lives in Busan', importance: 0.8 }, { content: ' Works at a bakery ', importance: 0.7 }],
    });
    expect(storeMemories.map((s) => s.deduped)).toEqual([false, true, true]);
    expect(storeMemories[1]!.memory).toMatchObject({ id: existing.id, importance: 0.8 });
    expect(storeMemories[2]!.memory).toMatchObject({ id: storeMemories[0]!.memory.id, importance: 0.7 });
    expect(await rowCount(ctx.server.sql, user.id, 'memories')).toBe(2);
    expect(await counter(ctx.server.sql, user.id, 'MEMORIES')).toBe(2);
  });

  it('takes exactly 100 inputs, and an empty list stores nothing', async () => {
    const user = await registerUser(ctx.server);
    const inputs = Array.from({ length: 100 }, (_, i) => ({ content: `fact number ${i}` }));
    const { storeMemories } = await user.client.request(StoreMemoriesDocument, { inputs });
    expect(storeMemories).toHaveLength(100);
    expect((await user.client.request(StoreMemoriesDocument, { inputs: [] })).storeMemories).toEqual([]);
    expect(await counter(ctx.server.sql, user.id, 'MEMORIES')).toBe(100);
  });

  it('fits a batch into exactly the room left (duplicates take no room)', async () => {
    const user = await registerUser(ctx.server);
    await seedMemories(ctx.server.sql, user.id, 4_998);
    const { storeMemories } = await user.client.request(StoreMemoriesDocument, {
      inputs: [{ content: 'a' }, { content: 'b' }, { content: 'a' }],
    });
    expect(storeMemories.map((s) => s.deduped)).toEqual([false, false, true]);
    expect(await counter(ctx.server.sql, user.id, 'MEMORIES')).toBe(5_000);
    expect(await rowCount(ctx.server.sql, user.id, 'memories')).toBe(5_000);
  });
});
