import { describe, expect, it } from 'vitest';
import { BadUserInputError, EmailTakenError, RegisterDocument } from '../../sdk/index.js';
import { uniqueEmail } from '../support/accounts.js';
import { useTestServer } from '../support/server.js';

const ctx = useTestServer();

const register = (email: string) => ctx.server.client().request(RegisterDocument, { input: { email } });

describe('register errors', () => {
  it('refuses an email that has an account, in any case or spacing, and issues no key', async () => {
    const email = uniqueEmail();
    const { register: first } = await register(email);
    for (const variant of [email, email.toUpperCase(), `  ${email}\t`, ` ${email.replace(/^./, (c) => c.toUpperCase())}`]) {
      await expect(register(variant)).rejects.toBeInstanceOf(EmailTakenError);
    }
    const keys = await ctx.server.sql(`select id from api_keys where user_id = ?`, [first.user.id]);
    expect(keys).toHaveLength(1);
  });

  it.each(['', 'not-an-email', 'a@b', '@example.com', 'two words@example.com', 'a@@example.com', `${'x'.repeat(250)}@example.com`])(
    'refuses %j with BAD_USER_INPUT on field email',
    async (email) => {
      const error = await register(email).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BadUserInputError);
      expect((error as BadUserInputError).field).toBe('email');
    },
  );

  it('creates exactly one account when the same email registers 10 times at once', async () => {
    const email = uniqueEmail('race');
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => register(email)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected.every((r) => r.reason instanceof EmailTakenError)).toBe(true);
    const users = await ctx.server.sql<{ id: string }>(`select id from users where email = ?`, [email]);
    expect(users).toHaveLength(1);
    expect(await ctx.server.sql(`select id from api_keys where user_id = ?`, [users[0]!.id])).toHaveLength(1);
  });
});
