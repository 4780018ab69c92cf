import { describe, expect, it } from 'vitest';
import { BadUserInputError, QuotaExceededError, StoreMemoryDocument, UnauthenticatedError, type StoreMemoryInput } from '../../sdk/index.js';
import { Tier } from '../../src/entities/enums.js';
import { registerUser, useUser } from '../support/accounts.js';
import { counter, rowCount, seedMemories } from '../support/memories.js';
import { useTestServer } from '../support/server.js';

const DIM = 8;
const ctx = useTestServer({ env: { EMBEDDINGS_DIM: String(DIM) } });
const user = useUser(ctx, Tier.PRO);

async function refusedField(input: StoreMemoryInput, who = user): Promise<string | undefined> {
  const error = await who.client.request(StoreMemoryDocument, { input }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(BadUserInputError);
  return (error as BadUserInputError).field;
}

describe('storeMemory refuses bad input with BAD_USER_INPUT naming the field, and stores nothing', () => {
  const big = { blob: 'x'.repeat(16 * 1024) };
  it.each<[string, StoreMemoryInput, string]>([
    ['empty content', { content: '' }, 'content'],
    ['blank content', { content: ' \n\t ' }, 'content'],
    ['10,001 characters', { content: 'a'.repeat(10_001) }, 'content'],
    ['a NUL character', { content: 'a\u0000b' }, 'content'],
    ['importance below 0', { content: 'x', importance: -0.01 }, 'importance'],
    ['importance above 1', { content: 'x', importance: 1.01 }, 'importance'],
    ['21 tags', { content: 'x', tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, 'tags'],
    ['a tag of 65 characters', { content: 'x', tags: ['ok', 'y'.repeat(65)] }, 'tags'],
    ['an empty tag', { content: 'x', tags: ['  '] }, 'tags'],
    ['metadata over 16 KB', { content: 'x', metadata: big }, 'metadata'],
    ['an agent name with a space', { content: 'x', agent: 'my agent' }, 'agent'],
    ['an agent name of 65 characters', { content: 'x', agent: 'a'.repeat(65) }, 'agent'],
    ['an empty agent name', { content: 'x', agent: '' }, 'agent'],
    ['an agent name with non-ASCII letters', { content: 'x', agent: 'agént' }, 'agent'],
    ['an embedding of the wrong dimension', { content: 'x', embedding: [1, 2, 3] }, 'embedding'],
    ['an all-zero embedding', { content: 'x', embedding: new Array(DIM).fill(0) }, 'embedding'],
    ['an expiry in the past', { content: 'x', expiresAt: new Date(Date.now() - 1000).toISOString() }, 'expiresAt'],
    ['an empty idempotency key', { content: 'x', idempotencyKey: '' }, 'idempotencyKey'],
  ])('%s', async (_label, input, field) => {
    const before = await rowCount(ctx.server.sql, user.id, 'memories');
    expect(await refusedField(input)).toBe(field);
    expect(await rowCount(ctx.server.sql, user.id, 'memories')).toBe(before);
    expect(await counter(ctx.server.sql, user.id, 'MEMORIES')).toBe(before);
  });

  it('metadata of exactly 16 KB is accepted (the limit counts UTF-8 bytes of the JSON)', async () => {
    const exact = { blob: 'é'.repeat(8_186) + 'x' }; // é is 2 bytes in UTF-8
    expect(Buffer.byteLength(JSON.stringify(exact))).toBe(16 * 1024);
    await expect(user.client.request(StoreMemoryDocument, { input: { content: 'exact metadata', metadata: exact } })).resolves.toBeTruthy();
    const over = { blob: exact.blob + 'x' };
    expect(await refusedField({ content: 'over metadata', metadata: over })).toBe('metadata');
  });

  it('refuses an idempotency key reused with a different input', async () => {
    await user.client.request(StoreMemoryDocument, { input: { content: 'Booked table for 4', idempotencyKey: 'k-1' } });
    expect(await refusedField({ content: 'Booked table for 5', idempotencyKey: 'k-1' })).toBe('idempotencyKey');
    expect(await refusedField({ content: 'Booked table for 4', importance: 0.9, idempotencyKey: 'k-1' })).toBe('idempotencyKey');
    expect(await refusedField({ content: 'Booked table for 4', occurredAt: '2020-01-01T00:00:00Z', idempotencyKey: 'k-1' })).toBe('idempotencyKey');
    const [row] = await ctx.server.sql<{ n: number }>(`select count(*)::int as n from memories where user_id = ? and content like 'Booked%'`, [user.id]);
    expect(row!.n).toBe(1);
  });

  it('needs a valid key', async () => {
    await expect(ctx.server.client().request(StoreMemoryDocument, { input: { content: 'x' } })).rejects.toBeInstanceOf(UnauthenticatedError);
  });
});

describe('storeMemory quotas', () => {
  it('refuses a FREE account at 5,000 memories with QUOTA_EXCEEDED naming the upgrade', async () => {
    const free = await registerUser(ctx.server);
    await seedMemories(ctx.server.sql, free.id, 5_000);
    const error = await free.client.request(StoreMemoryDocument, { input: { content: 'one too many' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QuotaExceededError);
    const quota = error as QuotaExceededError;
    expect([quota.resource, quota.limit, quota.used, quota.upgradeTier]).toEqual(['MEMORIES', 5000, 5000, 'PRO']);
    expect(quota.message).toBe('Memory limit reached (5000/5000). Upgrade to PRO for 50000: http://localhost:8080/#pricing');
    expect(await rowCount(ctx.server.sql, free.id, 'memories')).toBe(5_000);
  });

  it('refuses a FREE account a second agent: storing into a new agent creates neither agent nor memory', async () => {
    const free = await registerUser(ctx.server);
    const error = await free.client.request(StoreMemoryDocument, { input: { content: 'x', agent: 'second' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QuotaExceededError);
    expect([(error as QuotaExceededError).resource, (error as QuotaExceededError).limit]).toEqual(['AGENTS', 1]);
    expect(await rowCount(ctx.server.sql, free.id, 'agents')).toBe(1);
    expect(await rowCount(ctx.server.sql, free.id, 'memories')).toBe(0);
    expect(await counter(ctx.server.sql, free.id, 'AGENTS')).toBe(1);
    expect(await counter(ctx.server.sql, free.id, 'MEMORIES')).toBe(0);
  });
});
