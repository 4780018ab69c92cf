import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { getNamedType, isInputObjectType, isObjectType, type GraphQLSchema } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import packageJson from '../../package.json' with { type: 'json' };
import { AgentsDocument, MemoriesDocument, MemoryDocument, RecallMemoriesDocument, UsageDocument } from '../../sdk/index.js';
import { Tier } from '../../src/entities/enums.js';
import { buildGraphQLSchema } from '../../src/graphql/schema/build.js';
import { registerUser, registerUserWithTier } from '../support/accounts.js';
import { freshWindow } from '../support/limits.js';
import { mcpClientFor, structured } from '../support/mcp.js';
import { useTestServer } from '../support/server.js';

/** The MCP twins of the GraphQL happy paths: the official SDK client against /mcp of a running server. */

const ctx = useTestServer();
let schema: GraphQLSchema;
beforeAll(async () => {
  schema = await buildGraphQLSchema();
});

interface MemoryJson {
  id: string;
  agent: string;
  content: string;
  importance: number;
  tags: string[];
  recallCount: number;
}

const fieldsOf = (typeName: string) => {
  const type = schema.getType(typeName);
  if (!isObjectType(type) && !isInputObjectType(type)) throw new Error(`${typeName} is not an object type`);
  return Object.keys(type.getFields()).sort();
};
const keysOf = (schemaObject: unknown) => Object.keys((schemaObject as { properties: object }).properties).sort();

describe('MCP: initialize and tools/list', () => {
  it('initializes over Streamable HTTP with the server name, version, tools capability and instructions', async () => {
    const user = await registerUser(ctx.server);
    const mcp = await mcpClientFor(ctx.server, user.secret);
    expect(mcp.client.getServerVersion()).toMatchObject({ name: 'stellar-memory', version: packageJson.version });
    expect(mcp.client.getServerCapabilities()?.tools).toBeDefined();
    expect(mcp.client.getInstructions()).toMatch(/recall/);
    // Stateless: no session id is handed out, and the latest protocol version is spoken.
    expect((mcp.client.transport as { sessionId?: string }).sessionId).toBeUndefined();
    expect((mcp.client.transport as { protocolVersion?: string }).protocolVersion).toBe(LATEST_PROTOCOL_VERSION);
    await mcp.close();
  });

  it('lists the seven memory tools, each with a description, an input and an output schema made from its GraphQL twin', async () => {
    const user = await registerUser(ctx.server);
    const mcp = await mcpClientFor(ctx.server, user.secret);
    const { tools } = await mcp.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['forget', 'list_agents', 'list_memories', 'recall', 'remember', 'remember_many', 'usage']);
    for (const tool of tools) {
      expect(tool.description!.length, tool.name).toBeGreaterThan(80);
      expect(tool.inputSchema.type).toBe('object');
      expect(tool.outputSchema?.type).toBe('object');
      for (const [name, property] of Object.entries(tool.inputSchema.properties ?? {})) {
        expect((property as { description?: string }).description, `${tool.name}.${name}`).toBeTruthy();
      }
    }
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    // Arguments are the twin's input type's fields: RecallInput for recall, StoreMemoryInput for remember.
    expect(keysOf(byName.recall!.inputSchema)).toEqual(fieldsOf('RecallInput'));
    expect(byName.recall!.inputSchema.required).toEqual(['query']);
    expect(keysOf(byName.remember!.inputSchema)).toEqual(fieldsOf('StoreMemoryInput'));
    expect(byName.remember!.inputSchema.required).toEqual(['content']);
    expect(keysOf((byName.remember_many!.inputSchema.properties as { inputs: { items: unknown } }).inputs.items)).toEqual(fieldsOf('StoreMemoryInput'));
    expect(keysOf(byName.list_memories!.inputSchema)).toEqual(['after', 'agent', 'first']);
    expect(keysOf(byName.forget!.inputSchema)).toEqual(['id']);
    // Answers are the twin's output type: RecallHit with its Memory, the Usage type.
    const [recallOk] = byName.recall!.outputSchema!.anyOf as { properties: { hits: { items: { properties: { memory: unknown } } } } }[];
    expect(keysOf(recallOk!.properties.hits.items)).toEqual(fieldsOf('RecallHit'));
    expect(keysOf(recallOk!.properties.hits.items.properties.memory)).toEqual(fieldsOf('Memory'));
    const [usageOk] = byName.usage!.outputSchema!.anyOf as unknown[];
    expect(keysOf(usageOk).filter((k) => k !== 'warnings')).toEqual(fieldsOf('Usage'));
    expect(getNamedType(schema.getMutationType()!.getFields().recallMemories!.type).name).toBe('RecallHit');
    expect(byName.forget!.annotations).toMatchObject({ destructiveHint: true, readOnlyHint: false });
    expect(byName.recall!.annotations).toMatchObject({ readOnlyHint: true });
    await mcp.close();
  });
});

describe('MCP: each tool', () => {
  it('remember stores a memory that GraphQL reads back identically, and answers deduped for the same content', async () => {
    const user = await registerUser(ctx.server);
    const mcp = await mcpClientFor(ctx.server, user.secret);
    const first = await mcp.call('remember', { content: '  Dana prefers email over phone calls ', tags: ['contact'], importance: 0.3, metadata: { source: 'chat' } });
    const stored = structured<{ memory: MemoryJson; deduped: boolean }>(first);
    expect(stored.deduped).toBe(false);
    expect(stored.memory).toMatchObject({ agent: 'default', content: 'Dana prefers email over phone calls', importance: 0.3, tags: ['contact'] });
    expect(first.content).toEqual([{ type: 'text', text: expect.stringContaining(stored.memory.id) }]);
    const { memory } = await user.client.request(MemoryDocument, { id: stored.memory.id });
    expect(stored.memory).toEqual(memory);

    const again = structured<{ memory: MemoryJson; deduped: boolean }>(await mcp.call('remember', { content: 'Dana prefers email over phone calls', importance: 0.9 }));
    expect(again).toMatchObject({ deduped: true, memory: { id: stored.memory.id, importance: 0.9 } });
    await mcp.close();
  });

  it('remember_many stores a batch in order, with deduped items', async () => {
    const user = await registerUser(ctx.server);
    const mcp = await mcpClientFor(ctx.server, user.secret);
    const { results } = structured<{ results: { memory: MemoryJson; deduped: boolean }[] }>(
      await mcp.call('remember_many', { inputs: [{ content: 'Kim works in Seoul' }, { content: 'Kim likes hiking', tags: ['hobby'] }, { content: 'Kim works in Seoul' }] }),
    );
    expect(results.map((r) => [r.memory.content, r.deduped])).toEqual([
      ['Kim works in Seoul', false],
      ['Kim likes hiking', false],
      ['Kim works in Seoul', true],
    ]);
    expect(results[2]!.memory.id).toBe(results[0]!.memory.id);
    const { memories } = await user.client.request(MemoriesDocument, {});
    expect(memories.totalCount).toBe(2);
    await mcp.close();
  });

  it('recall answers the hits GraphQL answers for the same input, with the filters', async () => {
    const user = await registerUser(ctx.server);
    const mcp = await mcpClientFor(ctx.server, user.secret);
    await mcp.call('remember_many', {
      inputs: [
        { content: 'Dana prefers email over phone calls', tags: ['contact'], importance: 0.9 },
        { content: 'Dana lives in Lisbon', tags: ['place'] },
        { content: 'The build server is named orion' },
      ],
    });
    const result = await mcp.call('recall', { query: 'Dana email', limit: 5 });
    const { hits } = structured<{ hits: { memory: MemoryJson; score: number; relevance: number }[] }>(result);
    expect(hits[0]!.memory.content).toBe('Dana prefers email over phone calls');
    expect(hits.map((h) => h.memory.content)).not.toContain('The build server is named orion');
    expect(hits[0]!.score).toBeGreaterThan(0);
    expect(hits[0]!.relevance).toBeGreaterThan(0);
    expect((result.content as { text: string }[])[0]!.text).toMatch(/^\d+ memor(y|ies), best first:\n1\. "Dana prefers email over phone calls"/);

    // The same recall through GraphQL: the same memories in the same order (recall counts move on by one).
    const { recallMemories } = await user.client.request(RecallMemoriesDocument, { input: { query: 'Dana email', limit: 5 } });
    expect(recallMemories.map((h) => h.memory.id)).toEqual(hits.map((h) => h.memory.id));
    expect(recallMemories[0]!.memory.recallCount).toBe(hits[0]!.memory.recallCount + 1);

    const tagged = structured<{ hits: { memory: MemoryJson }[] }>(await mcp.call('recall', { query: 'Dana', tags: ['place'] }));
    expect(tagged.hits.map((h) => h.memory.content)).toEqual(['Dana lives in Lisbon']);
    const none = await mcp.call('recall', { query: 'zebra xylophone' });
    expect(structured(none)).toEqual({ hits: [] });
    expect((none.content as { text: string }[])[0]!.text).toBe('No memory matches this query.');
    await mcp.close();
  });

  it('forget deletes the memory and frees its quota', async () => {
    const user = await registerUser(ctx.server);
    const mcp = await mcpClientFor(ctx.server, user.secret);
    const { memory } = structured<{ memory: MemoryJson }>(await mcp.call('remember', { content: 'temporary note' }));
    expect(structured(await mcp.call('forget', { id: memory.id }))).toEqual({ forgotten: true });
    expect((await user.client.request(MemoryDocument, { id: memory.id })).memory).toBeNull();
    expect((await user.client.request(UsageDocument)).usage.memories).toBe(0);
    await mcp.close();
  });

  it('list_memories pages newest first with cursors, as the memories query does', async () => {
    const user = await registerUser(ctx.server);
    const mcp = await mcpClientFor(ctx.server, user.secret);
    for (const content of ['one', 'two', 'three']) await mcp.call('remember', { content });
    type Page = { edges: { cursor: string; node: MemoryJson }[]; pageInfo: { hasNextPage: boolean; endCursor: string }; totalCount: number };
    const first = structured<Page>(await mcp.call('list_memories', { first: 2 }));
    expect(first.edges.map((e) => e.node.content)).toEqual(['three', 'two']);
    expect(first.pageInfo.hasNextPage).toBe(true);
    expect(first.totalCount).toBe(3);
    const second = structured<Page>(await mcp.call('list_memories', { first: 2, after: first.pageInfo.endCursor }));
    expect(second.edges.map((e) => e.node.content)).toEqual(['one']);
    expect(second.pageInfo.hasNextPage).toBe(false);
    const { memories } = await user.client.request(MemoriesDocument, { first: 2 });
    expect(first).toEqual(memories);
    await mcp.close();
  });

  it('list_agents answers the agents with their memory counts, as the agents query does', async () => {
    const user = await registerUserWithTier(ctx.server, Tier.PRO);
    const mcp = await mcpClientFor(ctx.server, user.secret);
    await mcp.call('remember', { content: 'in the default agent' });
    await mcp.call('remember_many', { inputs: [{ agent: 'work', content: 'standup at nine' }, { agent: 'work', content: 'retro on friday' }] });
    const { agents } = structured<{ agents: { name: string; memoryCount: number }[] }>(await mcp.call('list_agents'));
    expect(agents.map((a) => [a.name, a.memoryCount])).toEqual([
      ['default', 1],
      ['work', 2],
    ]);
    expect(agents).toEqual((await user.client.request(AgentsDocument)).agents);
    await mcp.close();
  });

  it('usage reports the plan, counts and the window the tool calls spent', async () => {
    await freshWindow(10_000);
    const user = await registerUser(ctx.server);
    const mcp = await mcpClientFor(ctx.server, user.secret);
    await mcp.call('remember', { content: 'counted' });
    await mcp.call('recall', { query: 'counted' });
    const usage = structured<Record<string, unknown>>(await mcp.call('usage'));
    const remaining = Number(mcp.lastHeaders()!.get('x-ratelimit-remaining'));
    expect(usage).toMatchObject({
      tier: 'FREE',
      limits: { maxMemories: 5000, maxAgents: 1, requestsPerMinute: 60, maxApiKeys: 1 },
      memories: 1,
      agents: 1,
      apiKeys: 1,
      requestsThisMinute: 60 - remaining,
      storesThisPeriod: 1,
      recallsThisPeriod: 1,
    });
    expect(usage.requestsThisMinute).toBeGreaterThanOrEqual(2);
    const graphql = (await user.client.request(UsageDocument)).usage;
    const apartFromRequests = ({ requestsThisMinute: _m, requestsThisPeriod: _p, ...rest }: Record<string, unknown>) => rest;
    expect(apartFromRequests(usage)).toEqual(apartFromRequests(graphql));
    await mcp.close();
  });
});

describe('MCP: rate-limit headers and metrics', () => {
  it('a tool call spends one unit and says so in the X-RateLimit headers; protocol messages spend none', async () => {
    await freshWindow(10_000);
    const user = await registerUser(ctx.server);
    const mcp = await mcpClientFor(ctx.server, user.secret);
    await mcp.client.listTools();
    expect(mcp.lastHeaders()!.get('x-ratelimit-remaining')).toBe('60');
    await mcp.call('list_agents');
    const headers = mcp.lastHeaders()!;
    expect(headers.get('x-ratelimit-limit')).toBe('60');
    expect(headers.get('x-ratelimit-remaining')).toBe('59');
    expect(Number(headers.get('x-ratelimit-reset')) % 60).toBe(0);
    await mcp.call('recall', { query: 'anything' });
    expect(mcp.lastHeaders()!.get('x-ratelimit-remaining')).toBe('58');
    await mcp.client.listTools();
    expect(mcp.lastHeaders()!.get('x-ratelimit-remaining')).toBe('58');
    await mcp.close();
  });

  it('counts tool calls by tool and outcome in /metrics', async () => {
    const user = await registerUser(ctx.server);
    const mcp = await mcpClientFor(ctx.server, user.secret);
    await mcp.call('recall', { query: 'metrics' });
    await mcp.call('forget', { id: '00000000-0000-4000-8000-000000000000' });
    const text = await (await fetch(`${ctx.server.url}/metrics`)).text();
    const count = (labels: string) => Number(text.split('\n').find((l) => l.startsWith(`stellar_mcp_tool_call_duration_seconds_count{${labels}}`))?.split(' ').at(-1) ?? 0);
    expect(count('tool="recall",outcome="ok"')).toBeGreaterThanOrEqual(1);
    expect(count('tool="forget",outcome="NOT_FOUND"')).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/stellar_http_request_duration_seconds_count\{method="POST",route="\/mcp",status="200"\} \d+/);
    await mcp.close();
  });
});
