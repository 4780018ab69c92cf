import { describe, expect, it } from 'vitest';
import { MemoryDocument, RecallMemoriesDocument, StoreMemoryDocument } from '../../sdk/index.js';
import { registerUser } from '../support/accounts.js';
import { counter, rowCount, seedMemories } from '../support/memories.js';
import { mcpClientFor, refusal, structured } from '../support/mcp.js';
import { useTestServer } from '../support/server.js';

/**
 * GraphQL and MCP are two doors to one store: what one stores the other recalls, and dedupe,
 * idempotency keys and quotas treat a call the same whichever door it came through.
 */

const ctx = useTestServer();

type Stored = { memory: { id: string; content: string; importance: number }; deduped: boolean };

describe('one store path for GraphQL and MCP', () => {
  it('a memory stored through MCP is recalled through GraphQL, and the other way round', async () => {
    const user = await registerUser(ctx.server);
    const mcp = await mcpClientFor(ctx.server, user.secret);
    const viaMcp = structured<Stored>(await mcp.call('remember', { content: 'The staging database lives on host vega' }));
    const { recallMemories } = await user.client.request(RecallMemoriesDocument, { input: { query: 'staging database host' } });
    expect(recallMemories.map((h) => h.memory.id)).toEqual([viaMcp.memory.id]);

    const { storeMemory } = await user.client.request(StoreMemoryDocument, { input: { content: 'Production deploys happen on Tuesdays', tags: ['ops'] } });
    const { hits } = structured<{ hits: { memory: { id: string; tags: string[] } }[] }>(await mcp.call('recall', { query: 'production deploys', tags: ['ops'] }));
    expect(hits.map((h) => h.memory.id)).toEqual([storeMemory.memory.id]);
    await mcp.close();
  });

  it('deduplicates across doors: the same content stored through either is one memory, importance raised to the larger', async () => {
    const user = await registerUser(ctx.server);
    const mcp = await mcpClientFor(ctx.server, user.secret);
    const { storeMemory: first } = await user.client.request(StoreMemoryDocument, { input: { content: 'Alex is allergic to peanuts', importance: 0.3 } });
    const second = structured<Stored>(await mcp.call('remember', { content: '  Alex is allergic to peanuts ', importance: 0.8 }));
    expect(second).toMatchObject({ deduped: true, memory: { id: first.memory.id, importance: 0.8 } });
    const { storeMemory: third } = await user.client.request(StoreMemoryDocument, { input: { content: 'Alex is allergic to peanuts', importance: 0.1 } });
    expect(third).toMatchObject({ deduped: true, memory: { id: first.memory.id, importance: 0.8 } });
    expect(await counter(ctx.server.sql, user.id, 'MEMORIES')).toBe(1);
    await mcp.close();
  });

  it('honours one idempotency key across doors: a retry through the other door replays the first result; other input is refused alike', async () => {
    const user = await registerUser(ctx.server);
    const mcp = await mcpClientFor(ctx.server, user.secret);
    const input = { content: 'Invoice 1042 was paid', idempotencyKey: 'retry-1042' };
    const viaMcp = structured<Stored>(await mcp.call('remember', input));
    const { storeMemory: viaGraphQL } = await user.client.request(StoreMemoryDocument, { input });
    expect(viaGraphQL).toEqual(viaMcp);
    expect(await counter(ctx.server.sql, user.id, 'MEMORIES')).toBe(1);

    const other = { content: 'Invoice 1042 was refunded', idempotencyKey: 'retry-1042' };
    const mcpError = refusal(await mcp.call('remember', other));
    const graphqlError = (await user.client.raw(StoreMemoryDocument, { input: other })).errors[0]!;
    expect(mcpError.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'idempotencyKey' });
    expect(graphqlError.extensions).toMatchObject(mcpError.extensions);
    expect(graphqlError.message).toBe(mcpError.message);

    // A key first used through GraphQL replays through MCP too.
    const { storeMemory: first } = await user.client.request(StoreMemoryDocument, { input: { content: 'Meeting notes 7', idempotencyKey: 'notes-7' } });
    expect(structured<Stored>(await mcp.call('remember', { content: 'Meeting notes 7', idempotencyKey: 'notes-7' }))).toEqual(first);
    await mcp.close();
  });

  it('shares the memory quota: concurrent stores through both doors never pass the cap', async () => {
    const user = await registerUser(ctx.server);
    const mcp = await mcpClientFor(ctx.server, user.secret);
    await seedMemories(ctx.server.sql, user.id, 4_990);
    const [graphql, tools] = await Promise.all([
      Promise.all(Array.from({ length: 10 }, (_, i) => user.client.raw(StoreMemoryDocument, { input: { content: `graphql ${i}` } }))),
      Promise.all(Array.from({ length: 10 }, (_, i) => mcp.call('remember', { content: `mcp ${i}` }))),
    ]);
    const stored = graphql.filter((r) => r.errors.length === 0).length + tools.filter((r) => !r.isError).length;
    const refused = [...graphql.map((r) => r.errors[0]?.extensions?.code), ...tools.filter((r) => r.isError).map((r) => refusal(r).extensions.code)].filter(Boolean);
    expect(stored).toBe(10);
    expect(refused).toEqual(Array(10).fill('QUOTA_EXCEEDED'));
    expect(await counter(ctx.server.sql, user.id, 'MEMORIES')).toBe(5_000);
    expect(await rowCount(ctx.server.sql, user.id, 'memories')).toBe(5_000);
    // Forgetting through MCP frees room for GraphQL.
    const one = tools.find((r) => !r.isError) ?? null;
    const id = one ? structured<Stored>(one).memory.id : graphql.find((r) => r.errors.length === 0)!.data!.storeMemory.memory.id;
    await mcp.call('forget', { id });
    expect((await user.client.request(MemoryDocument, { id })).memory).toBeNull();
    expect((await user.client.raw(StoreMemoryDocument, { input: { content: 'fits again' } })).errors).toEqual([]);
    await mcp.close();
  });
});
