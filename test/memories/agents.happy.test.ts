import { EntityManager } from '@mikro-orm/postgresql';
import { describe, expect, it, vi } from 'vitest';
import { AgentsDocument, CreateAgentDocument, DeleteAgentDocument, MemoriesDocument, StoreMemoriesDocument, StoreMemoryDocument, UsageDocument } from '../../sdk/index.js';
import { Tier } from '../../src/entities/enums.js';
import { registerUser, registerUserWithTier } from '../support/accounts.js';
import { counter, rowCount } from '../support/memories.js';
import { startTestServer, useTestServer } from '../support/server.js';

const ctx = useTestServer();

describe('agents', () => {
  it('a new account has the agent "default", counted once', async () => {
    const user = await registerUser(ctx.server);
    const { agents } = await user.client.request(AgentsDocument);
    expect(agents).toHaveLength(1);
    expect(agents[0]).toMatchObject({ name: 'default', memoryCount: 0 });
    expect((await user.client.request(UsageDocument)).usage.agents).toBe(1);
    expect(await counter(ctx.server.sql, user.id, 'AGENTS')).toBe(1);
  });

  it('createAgent adds an agent under the AGENTS quota; names are case-sensitive', async () => {
    const user = await registerUserWithTier(ctx.server, Tier.PRO);
    const { createAgent } = await user.client.request(CreateAgentDocument, { name: 'Research.bot_2-x' });
    expect(createAgent).toMatchObject({ name: 'Research.bot_2-x', memoryCount: 0 });
    await user.client.request(CreateAgentDocument, { name: 'research.bot_2-x' });
    const { agents } = await user.client.request(AgentsDocument);
    expect(agents.map((a) => a.name)).toEqual(['default', 'Research.bot_2-x', 'research.bot_2-x']);
    expect(await counter(ctx.server.sql, user.id, 'AGENTS')).toBe(3);
  });

  it('counts each agent\'s live memories with one batched query for all agents (no N+1)', async () => {
    const user = await registerUserWithTier(ctx.server, Tier.PRO);
    const inputs = ['a', 'b', 'c', 'd'].flatMap((agent, i) => Array.from({ length: i + 1 }, (_, j) => ({ agent, content: `${agent} memory ${j}` })));
    await user.client.request(StoreMemoriesDocument, { inputs });
    const expired = (await user.client.request(StoreMemoryDocument, { input: { agent: 'd', content: 'gone soon' } })).storeMemory.memory;
    await ctx.server.sql(`update memories set expires_at = now() - interval '1 second' where id = ?`, [expired.id]);

    const execute = vi.spyOn(EntityManager.prototype, 'execute');
    try {
      const { agents } = await user.client.request(AgentsDocument);
      expect(agents.map((a) => [a.name, a.memoryCount])).toEqual([
        ['default', 0],
        ['a', 1],
        ['b', 2],
        ['c', 3],
        ['d', 4],
      ]);
      const countQueries = execute.mock.calls.filter(([sql]) => typeof sql === 'string' && sql.includes('group by m.agent_id'));
      expect(countQueries).toHaveLength(1);
    } finally {
      execute.mockRestore();
    }
  });

  it('deleteAgent deletes the agent and its memories and gives both quotas back at once', async () => {
    const user = await registerUserWithTier(ctx.server, Tier.PRO);
    await user.client.request(StoreMemoriesDocument, { inputs: [{ agent: 'tmp', content: 'one' }, { agent: 'tmp', content: 'two' }, { content: 'kept' }] });
    expect((await user.client.request(DeleteAgentDocument, { name: 'tmp' })).deleteAgent).toBe(true);
    const { agents } = await user.client.request(AgentsDocument);
    expect(agents.map((a) => a.name)).toEqual(['default']);
    expect((await user.client.request(MemoriesDocument, {})).memories.edges.map((e) => e.node.content)).toEqual(['kept']);
    expect([await counter(ctx.server.sql, user.id, 'AGENTS'), await counter(ctx.server.sql, user.id, 'MEMORIES')]).toEqual([1, 1]);
    expect([await rowCount(ctx.server.sql, user.id, 'agents'), await rowCount(ctx.server.sql, user.id, 'memories')]).toEqual([1, 1]);
  });

  it('deleting "default" empties it and keeps it; a FREE account can then reuse the room', async () => {
    const user = await registerUser(ctx.server);
    await user.client.request(StoreMemoriesDocument, { inputs: [{ content: 'one' }, { content: 'two' }] });
    expect((await user.client.request(DeleteAgentDocument, { name: 'default' })).deleteAgent).toBe(true);
    const { agents } = await user.client.request(AgentsDocument);
    expect(agents.map((a) => [a.name, a.memoryCount])).toEqual([['default', 0]]);
    expect([await counter(ctx.server.sql, user.id, 'AGENTS'), await counter(ctx.server.sql, user.id, 'MEMORIES')]).toEqual([1, 0]);
  });

  it('a deleted agent can be used again: storing into its name creates it afresh', async () => {
    const user = await registerUserWithTier(ctx.server, Tier.PRO);
    await user.client.request(StoreMemoryDocument, { input: { agent: 'again', content: 'old' } });
    await user.client.request(DeleteAgentDocument, { name: 'again' });
    const { storeMemory } = await user.client.request(StoreMemoryDocument, { input: { agent: 'again', content: 'old' } });
    expect(storeMemory.deduped).toBe(false);
    expect(await counter(ctx.server.sql, user.id, 'AGENTS')).toBe(2);
  });
});

describe('self-hosted owner', () => {
  it('has the agent "default" too', async () => {
    const owner = await startTestServer({ env: { STELLAR_BILLING_ENABLED: 'false', STELLAR_API_KEY: 'owner-key-0123456789abcdef' } });
    try {
      const { agents } = await owner.client('owner-key-0123456789abcdef').request(AgentsDocument);
      expect(agents.map((a) => a.name)).toEqual(['default']);
    } finally {
      await owner.close();
    }
  });
});
