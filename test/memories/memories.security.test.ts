import { beforeAll, describe, expect, it } from 'vitest';
import { ForgetMemoryDocument, MemoriesDocument, MemoryDocument, NotFoundError, StoreMemoriesDocument, UsageDocument } from '../../sdk/index.js';
import { Tier } from '../../src/entities/enums.js';
import { useUser } from '../support/accounts.js';
import { useTestServer } from '../support/server.js';

const ctx = useTestServer();
const alice = useUser(ctx, Tier.PRO);
const bob = useUser(ctx);
let aliceIds: string[];
beforeAll(async () => {
  const { storeMemories } = await alice.client.request(StoreMemoriesDocument, {
    inputs: Array.from({ length: 5 }, (_, i) => ({ content: `alice secret ${i}`, agent: i % 2 ? 'default' : 'diary' })),
  });
  aliceIds = storeMemories.map((s) => s.memory.id);
  await bob.client.request(StoreMemoriesDocument, { inputs: [{ content: 'bob one' }, { content: 'bob two' }] });
});

const cursorOf = (createdAt: string, id: string) => Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');

describe('memory isolation', () => {
  it("another user's memory id reads as null, exactly like an id that does not exist", async () => {
    for (const id of aliceIds) expect((await bob.client.request(MemoryDocument, { id })).memory).toBeNull();
  });

  it("forgetting another user's memory is NOT_FOUND with the same message as a missing id, and the memory stays", async () => {
    const theirs = await bob.client.request(ForgetMemoryDocument, { id: aliceIds[0]! }).catch((e: unknown) => e);
    const missing = await bob.client.request(ForgetMemoryDocument, { id: '00000000-0000-4000-8000-000000000000' }).catch((e: unknown) => e);
    expect(theirs).toBeInstanceOf(NotFoundError);
    expect((theirs as NotFoundError).message).toBe((missing as NotFoundError).message);
    expect((await alice.client.request(MemoryDocument, { id: aliceIds[0]! })).memory).not.toBeNull();
  });

  it("lists and counts only the caller's memories, also under another user's agent name", async () => {
    const all = (await bob.client.request(MemoriesDocument, {})).memories;
    expect(all.edges.map((e) => e.node.content).sort()).toEqual(['bob one', 'bob two']);
    expect(all.totalCount).toBe(2);
    const diary = (await bob.client.request(MemoriesDocument, { agent: 'diary' })).memories;
    expect(diary.edges).toEqual([]);
    expect(diary.totalCount).toBe(0);
    expect((await bob.client.request(UsageDocument)).usage.memories).toBe(2);
  });

  it("a cursor made from another user's memory, or a guessed one, only positions within the caller's own memories", async () => {
    const aliceCursor = (await alice.client.request(MemoriesDocument, { first: 1 })).memories.edges[0]!.cursor;
    const [row] = await ctx.server.sql<{ t: string }>(`select created_at::text as t from memories where id = ?`, [aliceIds[4]!]);
    const forged = [aliceCursor, cursorOf(row!.t, aliceIds[4]!), cursorOf('2999-01-01 00:00:00+00', '00000000-0000-4000-8000-000000000000')];
    for (const after of forged) {
      const page = (await bob.client.request(MemoriesDocument, { after, first: 100 })).memories;
      for (const edge of page.edges) expect(edge.node.content).toMatch(/^bob /);
    }
    const future = (await bob.client.request(MemoriesDocument, { after: forged[2]!, first: 100 })).memories;
    expect(future.edges.map((e) => e.node.content).sort()).toEqual(['bob one', 'bob two']);
  });
});
