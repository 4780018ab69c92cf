import { describe, expect, it } from 'vitest';
import { AgentsDocument, MemoryDocument, QuotaExceededError, StoreMemoryDocument } from '../../sdk/index.js';
import { Tier } from '../../src/entities/enums.js';
import { useUser } from '../support/accounts.js';
import { counter, rowCount } from '../support/memories.js';
import { useTestServer } from '../support/server.js';

const ctx = useTestServer();
const alice = useUser(ctx, Tier.PRO);
const bob = useUser(ctx);

describe('storeMemory isolation', () => {
  it("identical content never dedupes against another user's memory, nor changes it", async () => {
    const mine = (await alice.client.request(StoreMemoryDocument, { input: { content: 'The vault code is 4711', importance: 0.3 } })).storeMemory;
    const theirs = (await bob.client.request(StoreMemoryDocument, { input: { content: 'The vault code is 4711', importance: 1 } })).storeMemory;
    expect(theirs.deduped).toBe(false);
    expect(theirs.memory.id).not.toBe(mine.memory.id);
    const { memory } = await alice.client.request(MemoryDocument, { id: mine.memory.id });
    expect(memory).toEqual(mine.memory); // importance still 0.3, not raised by Bob
    expect(await counter(ctx.server.sql, alice.id, 'MEMORIES')).toBe(await rowCount(ctx.server.sql, alice.id, 'memories'));
  });

  it("an idempotency key is the user's own: the same key from another user stores their own memory", async () => {
    const input = { content: 'Shared wording', idempotencyKey: 'same-key' };
    const first = (await alice.client.request(StoreMemoryDocument, { input })).storeMemory;
    const other = (await bob.client.request(StoreMemoryDocument, { input })).storeMemory;
    expect(other.memory.id).not.toBe(first.memory.id);
    const differentInput = (await bob.client.request(StoreMemoryDocument, { input: { content: 'Bob only', idempotencyKey: 'alice-key' } })).storeMemory;
    await expect(alice.client.request(StoreMemoryDocument, { input: { content: 'Alice only', idempotencyKey: 'alice-key' } })).resolves.toMatchObject({
      storeMemory: { deduped: false, memory: { content: 'Alice only' } },
    });
    expect(differentInput.memory.content).toBe('Bob only');
  });

  it("storing into an agent name another user has creates the caller's own agent (or hits the caller's own cap)", async () => {
    await alice.client.request(StoreMemoryDocument, { input: { content: 'x', agent: 'planner' } });
    const error = await bob.client.request(StoreMemoryDocument, { input: { content: 'y', agent: 'planner' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QuotaExceededError); // Bob is FREE: one agent, and Alice's is not his
    const { agents } = await bob.client.request(AgentsDocument);
    expect(agents.map((a) => a.name)).toEqual(['default']);
  });
});

describe('deeply nested metadata (issue 15, finding 9)', () => {
  // Built as text: a 200,000-level value cannot even be made with JSON.stringify.
  const deep = (levels: number) => `{"a":${'['.repeat(levels)}${']'.repeat(levels)}}`;
  const post = async (apiKey: string, query: string, variablesJson: string) => {
    const response = await fetch(ctx.server.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: `{"query":${JSON.stringify(query)},"variables":${variablesJson}}`,
    });
    return (await response.json()) as { errors?: { extensions?: { code?: string; field?: string } }[] };
  };

  it('200,000 levels deep answers BAD_USER_INPUT on the metadata field, not an internal error', async () => {
    const store = await post(alice.secret, 'mutation($input: StoreMemoryInput!) { storeMemory(input: $input) { deduped } }', `{"input":{"content":"deep","metadata":${deep(200_000)}}}`);
    expect(store.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'metadata' });
    const recall = await post(alice.secret, 'mutation($input: RecallInput!) { recallMemories(input: $input) { score } }', `{"input":{"query":"deep","metadata":${deep(200_000)}}}`);
    expect(recall.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'metadata' });
    // The server is fine afterwards.
    expect((await alice.client.request(AgentsDocument)).agents.length).toBeGreaterThan(0);
  });

  it('a reasonable nesting (32 levels) is stored as given', async () => {
    const result = await post(alice.secret, 'mutation($input: StoreMemoryInput!) { storeMemory(input: $input) { deduped } }', `{"input":{"content":"nested 32","metadata":${deep(31)}}}`);
    expect(result.errors).toBeUndefined();
  });
});
