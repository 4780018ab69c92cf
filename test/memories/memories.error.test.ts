import { describe, expect, it } from 'vitest';
import { BadUserInputError, MemoriesDocument, UnauthenticatedError } from '../../sdk/index.js';
import { useUser } from '../support/accounts.js';
import { useTestServer } from '../support/server.js';

const ctx = useTestServer();
const user = useUser(ctx);

const refusedField = async (variables: { first?: number; after?: string; agent?: string }) => {
  const error = await user.client.request(MemoriesDocument, variables).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(BadUserInputError);
  return (error as BadUserInputError).field;
};

describe('memories errors', () => {
  it.each([0, -1, 101])('refuses first: %i', async (first) => {
    expect(await refusedField({ first })).toBe('first');
  });

  it.each([
    ['garbage', 'not-a-cursor'],
    ['base64 of something else', Buffer.from('{"a":1}').toString('base64url')],
    ['a bad time', Buffer.from(JSON.stringify(['yesterday', '00000000-0000-4000-8000-000000000000'])).toString('base64url')],
    ['a bad id', Buffer.from(JSON.stringify(['2026-01-01 00:00:00+00', "x' or 1=1 --"])).toString('base64url')],
  ])('refuses a cursor that is %s', async (_label, after) => {
    expect(await refusedField({ after })).toBe('after');
  });

  it('refuses an invalid agent name', async () => {
    expect(await refusedField({ agent: 'no spaces allowed' })).toBe('agent');
  });

  it('needs a valid key', async () => {
    await expect(ctx.server.client().request(MemoriesDocument, {})).rejects.toBeInstanceOf(UnauthenticatedError);
  });
});
