import { describe, expect, it } from 'vitest';
import { MeDocument } from '../../sdk/index.js';
import { registerUser } from '../support/accounts.js';
import { mcpClientFor, refusal, structured } from '../support/mcp.js';
import { useTestServer } from '../support/server.js';

const ctx = useTestServer({ env: { NODE_ENV: 'production' } });

describe('errors in production', () => {
  it('masks internal errors: a generic message, the code, no stack trace', async () => {
    const user = await registerUser(ctx.server);
    await user.client.request(MeDocument); // key now cached; the next failure is inside the resolver
    await ctx.server.sql(`alter table users rename to users_gone`);
    try {
      const response = await user.client.raw(MeDocument);
      expect(response.errors).toHaveLength(1);
      expect(response.errors[0]).toEqual({ message: 'Internal server error', path: ['me'], locations: expect.any(Array), extensions: { code: 'INTERNAL_SERVER_ERROR' } });
      expect(JSON.stringify(response)).not.toMatch(/users_gone|relation|stack/i);
    } finally {
      await ctx.server.sql(`alter table users_gone rename to users`);
    }
  });

  it('masks an MCP tool call\'s internal error the same way', async () => {
    const user = await registerUser(ctx.server);
    const mcp = await mcpClientFor(ctx.server, user.secret);
    // A word the agent has stored, so the recall reaches the memories table (unknown words end before it).
    structured(await mcp.call('remember', { content: 'Dana prefers email' }));
    await ctx.server.sql(`alter table memories rename to memories_gone`);
    try {
      const result = await mcp.call('recall', { query: 'How should I contact Dana?' });
      expect(refusal(result)).toEqual({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
      expect(JSON.stringify(result)).not.toMatch(/memories_gone|relation|stack/i);
    } finally {
      await ctx.server.sql(`alter table memories_gone rename to memories`);
    }
    await mcp.close();
  });

  it('hides field suggestions', async () => {
    const response = await ctx.server.client().raw('{ plan { tier } }');
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.errors)).not.toMatch(/Did you mean/);
  });
});
