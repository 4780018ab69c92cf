import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { AgentsDocument, ForgetMemoryDocument, RecallMemoriesDocument, StoreMemoriesDocument, StoreMemoryDocument, type RawResponse } from '../../sdk/index.js';
import { createAccount } from '../../src/services/accounts/accounts.js';
import { registerUser, uniqueEmail, useUser, type TestUser } from '../support/accounts.js';
import { freshWindow } from '../support/limits.js';
import { counter, rowCount, seedMemories } from '../support/memories.js';
import { mcpClientFor, mcpUrl, refusal, type McpTestClient } from '../support/mcp.js';
import { startTestServer, useTestServer } from '../support/server.js';

/** The MCP twins of the GraphQL error tests: every refusal is a tool result carrying GraphQL's code and extensions. */

const ctx = useTestServer();

async function connect(): Promise<{ user: TestUser; mcp: McpTestClient }> {
  const user = await registerUser(ctx.server);
  return { user, mcp: await mcpClientFor(ctx.server, user.secret) };
}

/** The first GraphQL error's message and extensions, as the MCP refusal carries them (without the stack GraphQL adds outside production). */
const graphqlError = (response: RawResponse<unknown>) => {
  const [error] = response.errors;
  const { stacktrace: _stack, ...extensions } = error!.extensions ?? {};
  return { message: error!.message, extensions };
};

describe('BAD_USER_INPUT names the field, as GraphQL does', () => {
  it('for a rule of the service: the same message and extensions as the GraphQL twin', async () => {
    const { user, mcp } = await connect();
    const cases: [string, Record<string, unknown>, () => Promise<RawResponse<unknown>>][] = [
      ['remember', { content: '   ' }, () => user.client.raw(StoreMemoryDocument, { input: { content: '   ' } })],
      ['remember', { content: 'x', importance: 1.5 }, () => user.client.raw(StoreMemoryDocument, { input: { content: 'x', importance: 1.5 } })],
      ['remember', { content: 'x', agent: 'no spaces' }, () => user.client.raw(StoreMemoryDocument, { input: { content: 'x', agent: 'no spaces' } })],
      [
        'remember_many',
        { inputs: [{ content: 'fine' }, { content: 'x', tags: [''] }] },
        () => user.client.raw(StoreMemoriesDocument, { inputs: [{ content: 'fine' }, { content: 'x', tags: [''] }] }),
      ],
      ['recall', { query: 'x', limit: 51 }, () => user.client.raw(RecallMemoriesDocument, { input: { query: 'x', limit: 51 } })],
      ['recall', { query: ' ' }, () => user.client.raw(RecallMemoriesDocument, { input: { query: ' ' } })],
    ];
    for (const [tool, args, viaGraphQL] of cases) {
      const error = refusal(await mcp.call(tool, args));
      expect(error.extensions.code, `${tool} ${JSON.stringify(args)}`).toBe('BAD_USER_INPUT');
      expect(error).toEqual(graphqlError(await viaGraphQL()));
    }
    expect(await counter(ctx.server.sql, user.id, 'MEMORIES')).toBe(0);
    await mcp.close();
  });

  it('for arguments of the wrong type, missing or unknown, before anything runs', async () => {
    const { mcp } = await connect();
    const field = async (tool: string, args: Record<string, unknown>) => {
      const error = refusal(await mcp.call(tool, args));
      expect(error.extensions.code).toBe('BAD_USER_INPUT');
      return error.extensions.field;
    };
    expect(await field('recall', { query: 'x', limit: 'ten' })).toBe('limit');
    expect(await field('recall', { query: 'x', limit: 2.5 })).toBe('limit');
    expect(await field('recall', {})).toBe('query');
    expect(await field('recall', { query: 'x', bogus: true })).toBe('bogus');
    expect(await field('remember', { content: 'x', expiresAt: 'next tuesday' })).toBe('expiresAt');
    expect(await field('remember', { content: 'x', metadata: ['not', 'an', 'object'] })).toBe('metadata');
    expect(await field('remember_many', { inputs: [{ content: 'a' }, { importance: 1 }] })).toBe('inputs[1].content');
    expect(await field('list_memories', { first: 0 })).toBe('first');
    expect(await field('list_memories', { after: 'not a cursor' })).toBe('after');
    await mcp.close();
  });
});

describe('NOT_FOUND', () => {
  it('forgetting an id that is not one of the caller memories, as forgetMemory answers', async () => {
    const { user, mcp } = await connect();
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const error = refusal(await mcp.call('forget', { id }));
      expect(error.extensions.code).toBe('NOT_FOUND');
      expect(error).toEqual(graphqlError(await user.client.raw(ForgetMemoryDocument, { id })));
    }
    await mcp.close();
  });
});

describe('QUOTA_EXCEEDED', () => {
  it('at the memory cap: nothing stored, the same extensions as GraphQL (resource, limit, used, upgradeTier)', async () => {
    const { user, mcp } = await connect();
    await seedMemories(ctx.server.sql, user.id, 5_000);
    const error = refusal(await mcp.call('remember', { content: 'one too many' }));
    expect(error.extensions).toEqual({ code: 'QUOTA_EXCEEDED', resource: 'MEMORIES', limit: 5000, used: 5000, upgradeTier: 'PRO' });
    expect(error.message).toBe('Memory limit reached (5000/5000). Upgrade to PRO for 50000: http://localhost:8080/#pricing');
    expect(error).toEqual(graphqlError(await user.client.raw(StoreMemoryDocument, { input: { content: 'one too many' } })));
    // A batch with more items than the room left stores none.
    const batch = refusal(await mcp.call('remember_many', { inputs: [{ content: 'a' }, { content: 'b' }] }));
    expect(batch.extensions.code).toBe('QUOTA_EXCEEDED');
    expect(await rowCount(ctx.server.sql, user.id, 'memories')).toBe(5_000);
    await mcp.close();
  });

  it('for a new agent beyond the plan, as GraphQL answers it', async () => {
    const { user, mcp } = await connect();
    const error = refusal(await mcp.call('remember', { agent: 'second', content: 'x' }));
    expect(error.extensions).toEqual({ code: 'QUOTA_EXCEEDED', resource: 'AGENTS', limit: 1, used: 1, upgradeTier: 'PRO' });
    expect(error).toEqual(graphqlError(await user.client.raw(StoreMemoryDocument, { input: { agent: 'second', content: 'x' } })));
    expect(await rowCount(ctx.server.sql, user.id, 'agents')).toBe(1);
    await mcp.close();
  });
});

describe('RATE_LIMITED', () => {
  it('once the window is spent: retryAfterSeconds, limit and resetAt as GraphQL, the Retry-After header, and the call did not run', async () => {
    await freshWindow(20_000);
    const { user, mcp } = await connect();
    const spent = await Promise.all(Array.from({ length: 60 }, (_, i) => mcp.call('remember', { content: `memory ${i}` })));
    expect(spent.filter((r) => r.isError)).toEqual([]);

    const refused = await mcp.call('remember', { content: 'the 61st' });
    const error = refusal(refused);
    expect(error.extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 60, retryAfterSeconds: expect.any(Number) });
    const headers = mcp.lastHeaders()!;
    expect(headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(headers.get('retry-after'))).toBe(error.extensions.retryAfterSeconds);
    expect(error.extensions.resetAt).toBe(new Date(Number(headers.get('x-ratelimit-reset')) * 1000).toISOString());
    expect(await counter(ctx.server.sql, user.id, 'MEMORIES')).toBe(60);

    const viaGraphQL = await user.client.raw(AgentsDocument);
    expect(viaGraphQL.status).toBe(429);
    const { extensions } = graphqlError(viaGraphQL);
    expect({ ...error.extensions, retryAfterSeconds: 0 }).toEqual({ ...extensions, retryAfterSeconds: 0 });
    expect(Math.abs(Number(extensions!.retryAfterSeconds) - Number(error.extensions.retryAfterSeconds))).toBeLessThanOrEqual(1);
    await mcp.close();
  });

  it('GraphQL operations and MCP tool calls share one window: 40 of each at once, exactly 60 run', { timeout: 60_000 }, async () => {
    await freshWindow(20_000);
    const { user, mcp } = await connect();
    const [graphql, tools] = await Promise.all([
      Promise.all(Array.from({ length: 40 }, () => user.client.raw(AgentsDocument))),
      Promise.all(Array.from({ length: 40 }, () => mcp.call('list_agents'))),
    ]);
    const ran = graphql.filter((r) => r.status === 200 && r.errors.length === 0).length + tools.filter((r) => !r.isError).length;
    const refused = graphql.filter((r) => r.status === 429).length + tools.filter((r) => r.isError && refusal(r).extensions.code === 'RATE_LIMITED').length;
    expect([ran, refused]).toEqual([60, 20]);
    await mcp.close();
  });
});

describe('INTERNAL_SERVER_ERROR', () => {
  it('with the counter store down a tool call fails closed: refused, nothing stored', async () => {
    const down = await startTestServer({ env: { REDIS_URL: 'redis://127.0.0.1:1' } });
    try {
      const account = (await createAccount(down.rt.forkEm(), uniqueEmail()))!;
      const mcp = await mcpClientFor(down, account.apiKey.secret);
      const error = refusal(await mcp.call('remember', { content: 'must not be stored unmetered' }));
      expect(error).toEqual({ message: 'Rate limiting is unavailable, so the request was not run; retry shortly', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
      expect(await down.sql(`select id from memories where user_id = ?`, [account.user.id])).toHaveLength(0);
      await mcp.close();
    } finally {
      await down.close();
    }
  });
});

describe('protocol errors', () => {
  it('an unknown tool is a JSON-RPC invalid-params error', async () => {
    const { mcp } = await connect();
    const error = await mcp.client.callTool({ name: 'drop_database', arguments: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(McpError);
    expect((error as McpError).code).toBe(-32602);
    await mcp.close();
  });

  describe('over HTTP, never a 500', () => {
    const user = useUser(ctx);
    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(mcpUrl(ctx.server), {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${user.secret}`, ...headers },
        body,
      });
    const jsonRpcError = async (response: Response) => ((await response.json()) as { jsonrpc: string; id: unknown; error: { code: number; message: string } });
    const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } };
    const toolsList = { jsonrpc: '2.0', id: 2, method: 'tools/list' };

    it('a batch is refused with Invalid Request (-32600): one message per request', async () => {
      const response = await post(JSON.stringify([toolsList, { ...toolsList, id: 3 }]));
      expect(response.status).toBe(400);
      expect(await jsonRpcError(response)).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32600 } });
    });

    it('malformed JSON is a Parse error (-32700), valid JSON that is not JSON-RPC an Invalid Request (-32600)', async () => {
      const malformed = await post('{"jsonrpc": "2.0", "id": 1, "method": ');
      expect(malformed.status).toBe(400);
      expect((await jsonRpcError(malformed)).error.code).toBe(-32700);
      for (const body of ['{"hello": "world"}', '42', '"tools/list"', '{"jsonrpc": "1.0", "id": 1, "method": "tools/list"}', 'null']) {
        const response = await post(body);
        expect(response.status, body).toBe(400);
        expect((await jsonRpcError(response)).error.code, body).toBe(-32600);
      }
      const empty = await post('');
      expect(empty.status).toBe(400);
      expect((await jsonRpcError(empty)).error.code).toBe(-32700);
    });

    it('a body over 1 MB is refused with 413, as on /graphql', async () => {
      const response = await post(JSON.stringify({ ...toolsList, params: { padding: 'x'.repeat(1024 * 1024) } }));
      expect(response.status).toBe(413);
      expect((await jsonRpcError(response)).id).toBeNull();
    });

    it('a body that is not JSON is refused with 415; a client that cannot read JSON and SSE with 406', async () => {
      const text = await post(JSON.stringify(toolsList), { 'content-type': 'text/plain' });
      expect(text.status).toBe(415);
      expect((await jsonRpcError(text)).error.code).toBe(-32600);
      const accept = await post(JSON.stringify(toolsList), { accept: 'application/json' });
      expect(accept.status).toBe(406);
    });

    it('an unsupported protocol version header is refused with 400', async () => {
      const response = await post(JSON.stringify(toolsList), { 'mcp-protocol-version': '1999-01-01' });
      expect(response.status).toBe(400);
    });

    it('GET and DELETE answer 405 (stateless: no stream, no session), POST works without a session', async () => {
      for (const method of ['GET', 'DELETE']) {
        const response = await fetch(mcpUrl(ctx.server), { method, headers: { accept: 'text/event-stream', authorization: `Bearer ${user.secret}` } });
        expect(response.status, method).toBe(405);
        expect(response.headers.get('allow')).toBe('POST');
      }
      const init = await post(JSON.stringify(initialize));
      expect(init.status).toBe(200);
      expect(init.headers.get('mcp-session-id')).toBeNull();
      const list = await post(JSON.stringify(toolsList), { 'mcp-protocol-version': '2025-11-25' });
      expect(list.status).toBe(200);
      expect(((await list.json()) as { result: { tools: unknown[] } }).result.tools).toHaveLength(7);
      const notification = await post(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
      expect(notification.status).toBe(202);
    });
  });
});
