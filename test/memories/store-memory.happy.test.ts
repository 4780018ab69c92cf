import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryDocument, StoreMemoryDocument, UsageDocument } from '../../sdk/index.js';
import { registerUser } from '../support/accounts.js';
import { counter, rowCount } from '../support/memories.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

describe('storeMemory', () => {
  it('stores into the default agent with the defaults and answers the memory', async () => {
    const user = await registerUser(server);
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
    const { memory: read } = await user.client.request(MemoryDocument, { id: memory.id });
    expect(read).toEqual(memory);
    expect(await counter(server.sql, user.id, 'MEMORIES')).toBe(1);
  });
});
