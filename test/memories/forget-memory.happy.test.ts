import { describe, expect, it } from 'vitest';
import { ForgetMemoryDocument, MemoryDocument, StoreMemoryDocument } from '../../sdk/index.js';
import { registerUser } from '../support/accounts.js';
import { counter, rowCount, seedMemories } from '../support/memories.js';
import { useTestServer } from '../support/server.js';

const ctx = useTestServer();

describe('forgetMemory', () => {
  it('deletes the memory and frees its room at once: a FREE account at the cap can store again', async () => {
    const user = await registerUser(ctx.server);
    await seedMemories(ctx.server.sql, user.id, 4_999);
    const { storeMemory } = await user.client.request(StoreMemoryDocument, { input: { content: 'the 5000th' } });
    await expect(user.client.request(StoreMemoryDocument, { input: { content: 'one more' } })).rejects.toMatchObject({ code: 'QUOTA_EXCEEDED' });

    expect((await user.client.request(ForgetMemoryDocument, { id: storeMemory.memory.id })).forgetMemory).toBe(true);
    expect((await user.client.request(MemoryDocument, { id: storeMemory.memory.id })).memory).toBeNull();
    expect(await counter(ctx.server.sql, user.id, 'MEMORIES')).toBe(4_999);

    await user.client.request(StoreMemoryDocument, { input: { content: 'one more' } });
    expect(await counter(ctx.server.sql, user.id, 'MEMORIES')).toBe(5_000);
    expect(await rowCount(ctx.server.sql, user.id, 'memories')).toBe(5_000);
  });
});
