import { describe, expect, it } from 'vitest';
import { BadUserInputError, QuotaExceededError, StoreMemoriesDocument, StoreMemoryDocument } from '../../sdk/index.js';
import { Tier } from '../../src/entities/enums.js';
import { registerUser, registerUserWithTier } from '../support/accounts.js';
import { counter, rowCount, seedMemories } from '../support/memories.js';
import { useTestServer } from '../support/server.js';

const ctx = useTestServer();

const good = (n: number) => Array.from({ length: n }, (_, i) => ({ content: `good memory ${i}` }));

describe('storeMemories errors: all or nothing', () => {
  it('refuses 101 inputs with BAD_USER_INPUT on inputs', async () => {
    const user = await registerUser(ctx.server);
    const error = await user.client.request(StoreMemoriesDocument, { inputs: good(101) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadUserInputError);
    expect((error as BadUserInputError).field).toBe('inputs');
    expect(await rowCount(ctx.server.sql, user.id, 'memories')).toBe(0);
  });

  it.each([
    ['an empty content', { content: '' }, 'inputs[2].content'],
    ['a bad importance', { content: 'x', importance: 2 }, 'inputs[2].importance'],
    ['a bad agent', { content: 'x', agent: 'no/slash' }, 'inputs[2].agent'],
    ['a tag of 65 characters', { content: 'x', tags: ['t'.repeat(65)] }, 'inputs[2].tags'],
  ])('refuses the whole batch for %s among good inputs, naming the item', async (_label, bad, field) => {
    const user = await registerUser(ctx.server);
    const inputs = [...good(2), bad, ...good(3).map((g) => ({ content: `${g.content} more` }))];
    const error = await user.client.request(StoreMemoriesDocument, { inputs }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadUserInputError);
    expect((error as BadUserInputError).field).toBe(field);
    expect(await rowCount(ctx.server.sql, user.id, 'memories')).toBe(0);
    expect(await counter(ctx.server.sql, user.id, 'MEMORIES')).toBe(0);
  });

  it('stores none of a batch larger than the room left', async () => {
    const user = await registerUser(ctx.server);
    await seedMemories(ctx.server.sql, user.id, 4_998);
    const error = await user.client.request(StoreMemoriesDocument, { inputs: good(3) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QuotaExceededError);
    expect((error as QuotaExceededError).resource).toBe('MEMORIES');
    expect(await rowCount(ctx.server.sql, user.id, 'memories')).toBe(4_998);
    expect(await counter(ctx.server.sql, user.id, 'MEMORIES')).toBe(4_998);
    const { storeMemories } = await user.client.request(StoreMemoriesDocument, { inputs: good(2) });
    expect(storeMemories).toHaveLength(2);
  });

  it('rolls back the new agent of a batch that fails on its memory quota', async () => {
    const user = await registerUserWithTier(ctx.server, Tier.PRO);
    await seedMemories(ctx.server.sql, user.id, 50_000 - 1);
    const error = await user.client
      .request(StoreMemoriesDocument, { inputs: [{ content: 'a', agent: 'fresh' }, { content: 'b', agent: 'fresh' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QuotaExceededError);
    expect((error as QuotaExceededError).resource).toBe('MEMORIES');
    const [agent] = await ctx.server.sql(`select 1 from agents where user_id = ? and name = 'fresh'`, [user.id]);
    expect(agent).toBeUndefined();
    expect(await counter(ctx.server.sql, user.id, 'AGENTS')).toBe(1);
    expect(await counter(ctx.server.sql, user.id, 'MEMORIES')).toBe(50_000 - 1);
  });

  it('refuses a batch reusing an idempotency key for a different input, storing none of it', async () => {
    const user = await registerUser(ctx.server);
    await user.client.request(StoreMemoryDocument, { input: { content: 'first', idempotencyKey: 'k' } });
    const error = await user.client
      .request(StoreMemoriesDocument, { inputs: [{ content: 'new one' }, { content: 'second', idempotencyKey: 'k' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadUserInputError);
    expect((error as BadUserInputError).field).toBe('inputs[1].idempotencyKey');
    expect(await rowCount(ctx.server.sql, user.id, 'memories')).toBe(1);
  });
});
