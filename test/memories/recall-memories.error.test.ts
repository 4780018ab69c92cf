import { describe, expect, it } from 'vitest';
import { BadUserInputError, RecallMemoriesDocument, UnauthenticatedError, type RecallInput } from '../../sdk/index.js';
import { Tier } from '../../src/entities/enums.js';
import { useUser } from '../support/accounts.js';
import { useTestServer } from '../support/server.js';

const ctx = useTestServer({ env: { EMBEDDINGS_DIM: '4' } });
const user = useUser(ctx, Tier.PRO);

describe('recallMemories refuses bad input with BAD_USER_INPUT naming the field', () => {
  it.each<[string, RecallInput, string]>([
    ['an empty query', { query: '   ' }, 'query'],
    ['a query of 1,001 characters', { query: 'q'.repeat(1_001) }, 'query'],
    ['limit 0', { query: 'x', limit: 0 }, 'limit'],
    ['limit 51', { query: 'x', limit: 51 }, 'limit'],
    ['minImportance above 1', { query: 'x', minImportance: 1.5 }, 'minImportance'],
    ['minImportance below 0', { query: 'x', minImportance: -1 }, 'minImportance'],
    ['21 tags', { query: 'x', tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, 'tags'],
    ['a tag of 65 characters', { query: 'x', tags: ['t'.repeat(65)] }, 'tags'],
    ['metadata over 16 KB', { query: 'x', metadata: { v: 'm'.repeat(16_384) } }, 'metadata'],
    ['an invalid agent name', { query: 'x', agent: 'a b' }, 'agent'],
    ['an embedding of the wrong dimension', { query: 'x', embedding: [0.1, 0.2] }, 'embedding'],
  ])('%s', async (_label, input, field) => {
    const error = await user.client.request(RecallMemoriesDocument, { input }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadUserInputError);
    expect((error as BadUserInputError).field).toBe(field);
  });

  it('needs a valid key', async () => {
    await expect(ctx.server.client().request(RecallMemoriesDocument, { input: { query: 'x' } })).rejects.toBeInstanceOf(UnauthenticatedError);
  });
});
