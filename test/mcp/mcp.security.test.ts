import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryDocument, RevokeApiKeyDocument } from '../../sdk/index.js';
import { registerUser } from '../support/accounts.js';
import { LogCapture } from '../support/logs.js';
import { connectMcp, mcpClientFor, mcpUrl, refusal, structured } from '../support/mcp.js';
import { startTestServer, useTestServer } from '../support/server.js';

/** The MCP twins of the GraphQL security tests: keys, tenants, origins and logs. */

const ADMIN_KEY = 'admin-key-that-is-no-user-0001';
const logs = new LogCapture();
const ctx = useTestServer({ logs, env: { ADMIN_API_KEY: ADMIN_KEY } });

const TOOLS_LIST = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
const post = (headers: Record<string, string>, body = TOOLS_LIST) =>
  fetch(mcpUrl(ctx.server), { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body });

describe('/mcp authentication, before any MCP message is processed', () => {
  it('answers 401 with WWW-Authenticate without a key; the SDK client cannot connect', async () => {
    const response = await post({});
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="stellar-memory"');
    expect(await response.json()).toMatchObject({ jsonrpc: '2.0', id: null, error: { data: { code: 'UNAUTHENTICATED' } } });
    await expect(connectMcp(ctx.server, {})).rejects.toMatchObject({ code: 401 });
  });

  it('answers 401 invalid_token for an unknown, malformed, empty or revoked key', async () => {
    const user = await registerUser(ctx.server);
    await user.client.request(RevokeApiKeyDocument, { id: user.keyId });
    for (const authorization of [`Bearer sk-stellar-${randomBytes(16).toString('hex')}`, 'Bearer not-a-key', 'Bearer ', 'Basic abc', `Bearer ${user.secret}`]) {
      const response = await post({ authorization });
      expect(response.status, authorization).toBe(401);
      expect(response.headers.get('www-authenticate'), authorization).toBe('Bearer realm="stellar-memory", error="invalid_token"');
    }
  });

  it('does not take the admin key for a user', async () => {
    const response = await post({ authorization: `Bearer ${ADMIN_KEY}` });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/admin key is not a user key/);
  });

  it('accepts the key in X-API-Key as GraphQL does', async () => {
    const user = await registerUser(ctx.server);
    const mcp = await connectMcp(ctx.server, { 'x-api-key': user.secret });
    expect(structured(await mcp.call('list_agents'))).toMatchObject({ agents: [{ name: 'default' }] });
    await mcp.close();
  });

  it('refuses without a key before reading the body: an oversized, malformed or batched body still gets 401', async () => {
    for (const body of ['x'.repeat(2 * 1024 * 1024), '{"jsonrpc": "2.0", ', `[${TOOLS_LIST}, ${TOOLS_LIST}]`]) {
      const response = await post({}, body);
      expect(response.status).toBe(401);
    }
  });

  it('refuses a browser page of another origin with 403 (DNS rebinding); the configured origins pass', async () => {
    const user = await registerUser(ctx.server);
    const foreign = await post({ authorization: `Bearer ${user.secret}`, origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
    const own = await post({ authorization: `Bearer ${user.secret}`, origin: 'http://localhost:8080' });
    expect(own.status).toBe(200);
    expect(((await own.json()) as { result: { tools: unknown[] } }).result.tools).toHaveLength(7);
  });
});

describe('tenant isolation', () => {
  it("one user can never see, recall, count or forget another user's memories", async () => {
    const [alice, bob] = await Promise.all([registerUser(ctx.server), registerUser(ctx.server)]);
    const [a, b] = await Promise.all([mcpClientFor(ctx.server, alice.secret), mcpClientFor(ctx.server, bob.secret)]);
    const secret = `alice's locker code is ${randomBytes(4).toString('hex')}`;
    const { memory } = structured<{ memory: { id: string } }>(await a.call('remember', { content: secret, tags: ['private'] }));

    expect(structured(await b.call('recall', { query: 'alice locker code' }))).toEqual({ hits: [] });
    expect(structured(await b.call('recall', { query: 'locker', tags: ['private'] }))).toEqual({ hits: [] });
    expect(structured(await b.call('list_memories'))).toMatchObject({ edges: [], totalCount: 0 });
    expect(structured<{ memories: number }>(await b.call('usage')).memories).toBe(0);
    const agents = structured<{ agents: { memoryCount: number }[] }>(await b.call('list_agents')).agents;
    expect(agents.map((agent) => agent.memoryCount)).toEqual([0]);
    expect(refusal(await b.call('forget', { id: memory.id })).extensions.code).toBe('NOT_FOUND');
    // Bob storing the same words gets a memory of his own, not a dedupe onto Alice's.
    const bobs = structured<{ memory: { id: string }; deduped: boolean }>(await b.call('remember', { content: secret }));
    expect(bobs.deduped).toBe(false);
    expect(bobs.memory.id).not.toBe(memory.id);

    expect((await alice.client.request(MemoryDocument, { id: memory.id })).memory?.content).toBe(secret);
    expect(structured<{ hits: unknown[] }>(await a.call('recall', { query: 'locker code' })).hits).toHaveLength(1);
    await Promise.all([a.close(), b.close()]);
  });
});

describe('logs', () => {
  it("never contain a tool call's arguments or answers, nor the key, even at trace level and on failure", async () => {
    const user = await registerUser(ctx.server);
    const marker = `confidential-${randomBytes(6).toString('hex')}`;
    const mcp = await mcpClientFor(ctx.server, user.secret);
    await mcp.call('remember', { content: `${marker} remember`, tags: [`${marker}-tag`], metadata: { note: `${marker} metadata` }, idempotencyKey: `${marker}-key` });
    await mcp.call('remember_many', { inputs: [{ content: `${marker} many` }] });
    await mcp.call('recall', { query: `${marker} recall`, tags: [`${marker}-tag`] });
    await mcp.call('list_memories', { first: 5 });
    await mcp.call('list_agents');
    await mcp.call('usage');
    await mcp.call('forget', { id: `${marker}-id` });
    await mcp.call('remember', { content: `${marker} bad`, importance: 7 });
    await mcp.client.callTool({ name: `${marker}-tool`, arguments: { x: marker } }).catch(() => undefined);
    // An unexpected failure (the table is gone) is logged with its error, still without the arguments.
    await ctx.server.sql(`alter table memories rename to memories_away`);
    try {
      const failed = await mcp.call('remember', { content: `${marker} while broken` });
      expect(refusal(failed).extensions.code).toBe('INTERNAL_SERVER_ERROR');
    } finally {
      await ctx.server.sql(`alter table memories_away rename to memories`);
    }
    await mcp.close();

    const failure = logs.entries().find((e) => e.msg === 'MCP tool call failed');
    expect(failure).toMatchObject({ tool: 'remember', requestId: expect.any(String) });
    expect(logs.entries().filter((e) => e.msg === 'request completed' && e.path === '/mcp').length).toBeGreaterThan(10);
    const text = logs.text();
    expect(text).not.toContain(marker);
    expect(text).not.toContain(user.secret.slice(11));
  });
});

describe('self-hosted mode', () => {
  it('the owner key (STELLAR_API_KEY) uses the tools without limits or rate-limit headers; other keys get 401', async () => {
    const ownerKey = `owner-${randomBytes(12).toString('hex')}`;
    const selfHosted = await startTestServer({ env: { STELLAR_BILLING_ENABLED: 'false', STELLAR_API_KEY: ownerKey } });
    try {
      const mcp = await mcpClientFor(selfHosted, ownerKey);
      const { memory } = structured<{ memory: { id: string } }>(await mcp.call('remember', { content: 'self-hosted memory' }));
      expect(mcp.lastHeaders()!.get('x-ratelimit-limit')).toBeNull();
      expect(structured<{ hits: { memory: { id: string } }[] }>(await mcp.call('recall', { query: 'self-hosted' })).hits[0]!.memory.id).toBe(memory.id);
      expect(structured(await mcp.call('usage'))).toMatchObject({ tier: 'TEAM', requestsThisMinute: 0, limits: { requestsPerMinute: null, maxMemories: null } });
      await mcp.close();
      const other = await fetch(mcpUrl(selfHosted), {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${ownerKey}x` },
        body: TOOLS_LIST,
      });
      expect(other.status).toBe(401);
    } finally {
      await selfHosted.close();
    }
  });
});
