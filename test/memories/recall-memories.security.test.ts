import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryDocument, RecallMemoriesDocument, StoreMemoriesDocument } from '../../sdk/index.js';
import { Tier } from '../../src/entities/enums.js';
import { useUser } from '../support/accounts.js';
import { useTestServer } from '../support/server.js';

const ctx = useTestServer();
const alice = useUser(ctx, Tier.PRO);
const bob = useUser(ctx);
let aliceIds: string[];
beforeAll(async () => {
  const { storeMemories } = await alice.client.request(StoreMemoriesDocument, {
    inputs: [
      { content: 'Alice bank PIN is 9931', agent: 'vault', tags: ['secret'], metadata: { owner: 'alice' }, importance: 1 },
      { content: 'Alice shares the bank account with Carol' },
    ],
  });
  aliceIds = storeMemories.map((s) => s.memory.id);
  await bob.client.request(StoreMemoriesDocument, { inputs: [{ content: 'Bob bank is downtown' }] });
});

describe('recall isolation', () => {
  it("never returns another user's memories, whatever the query or filters", async () => {
    const attempts = [
      { query: 'bank' },
      { query: 'alice' },
      { query: 'PIN 9931' },
      { query: 'bank', agent: 'vault' },
      { query: 'bank', tags: ['secret'] },
      { query: 'bank', metadata: { owner: 'alice' } },
      { query: 'bank', minImportance: 0 },
      { query: 'bank or alice or carol or pin', limit: 50 },
      { query: '-nothingatall' },
    ];
    for (const input of attempts) {
      const hits = (await bob.client.request(RecallMemoriesDocument, { input })).recallMemories;
      for (const hit of hits) expect(hit.memory.content, JSON.stringify(input)).toBe('Bob bank is downtown');
    }
  });

  it("another user's recalls do not bump the caller's memories", async () => {
    await bob.client.request(RecallMemoriesDocument, { input: { query: 'alice bank' } });
    for (const id of aliceIds) {
      expect((await alice.client.request(MemoryDocument, { id })).memory).toMatchObject({ recallCount: 0, lastRecalledAt: null });
    }
  });
});
