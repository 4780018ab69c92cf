import { beforeAll, describe, expect, it } from 'vitest';
import { AgentsDocument, CreateAgentDocument, DeleteAgentDocument, MemoriesDocument, NotFoundError, StoreMemoryDocument } from '../../sdk/index.js';
import { Tier } from '../../src/entities/enums.js';
import { useUser } from '../support/accounts.js';
import { counter } from '../support/memories.js';
import { useTestServer } from '../support/server.js';

const ctx = useTestServer();
const alice = useUser(ctx, Tier.PRO);
const bob = useUser(ctx, Tier.PRO);
beforeAll(async () => {
  await alice.client.request(StoreMemoryDocument, { input: { agent: 'secret-project', content: 'Launch date is March 3' } });
  await alice.client.request(StoreMemoryDocument, { input: { content: 'Alice default memory' } });
});

describe('agent isolation', () => {
  it("lists and counts only the caller's agents and memories, even under the same names", async () => {
    await bob.client.request(CreateAgentDocument, { name: 'secret-project' });
    const { agents } = await bob.client.request(AgentsDocument);
    expect(agents.map((a) => [a.name, a.memoryCount])).toEqual([
      ['default', 0],
      ['secret-project', 0],
    ]);
  });

  it("cannot delete another user's agent, nor empty their default", async () => {
    await expect(bob.client.request(DeleteAgentDocument, { name: 'another-of-alices' })).rejects.toBeInstanceOf(NotFoundError);
    await bob.client.request(DeleteAgentDocument, { name: 'default' });
    await bob.client.request(DeleteAgentDocument, { name: 'secret-project' });
    const { memories } = await alice.client.request(MemoriesDocument, {});
    expect(memories.totalCount).toBe(2);
    const { agents } = await alice.client.request(AgentsDocument);
    expect(agents.map((a) => [a.name, a.memoryCount])).toEqual([
      ['default', 1],
      ['secret-project', 1],
    ]);
    expect(await counter(ctx.server.sql, alice.id, 'MEMORIES')).toBe(2);
    expect(await counter(ctx.server.sql, alice.id, 'AGENTS')).toBe(2);
  });

  it("an agent name of another user answers exactly like one that does not exist", async () => {
    await alice.client.request(CreateAgentDocument, { name: 'only-alice' });
    const theirs = await bob.client.request(DeleteAgentDocument, { name: 'only-alice' }).catch((e: unknown) => e);
    const nobodys = await bob.client.request(DeleteAgentDocument, { name: 'nobody-has-this' }).catch((e: unknown) => e);
    expect(theirs).toBeInstanceOf(NotFoundError);
    expect((theirs as NotFoundError).message).toBe((nobodys as NotFoundError).message);
  });
});
