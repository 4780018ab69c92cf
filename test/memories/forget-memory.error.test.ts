import { describe, expect, it } from 'vitest';
import { ForgetMemoryDocument, NotFoundError, StoreMemoryDocument } from '../../sdk/index.js';
import { registerUser } from '../support/accounts.js';
import { counter } from '../support/memories.js';
import { useTestServer } from '../support/server.js';

const ctx = useTestServer();

describe('forgetMemory errors', () => {
  it.each(['00000000-0000-4000-8000-000000000000', 'not-a-uuid', ''])('answers NOT_FOUND for %j', async (id) => {
    const user = await registerUser(ctx.server);
    await expect(user.client.request(ForgetMemoryDocument, { id })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('answers NOT_FOUND when forgetting twice, and the counter moves once', async () => {
    const user = await registerUser(ctx.server);
    const { storeMemory } = await user.client.request(StoreMemoryDocument, { input: { content: 'once' } });
    await user.client.request(ForgetMemoryDocument, { id: storeMemory.memory.id });
    await expect(user.client.request(ForgetMemoryDocument, { id: storeMemory.memory.id })).rejects.toBeInstanceOf(NotFoundError);
    expect(await counter(ctx.server.sql, user.id, 'MEMORIES')).toBe(0);
  });
});
