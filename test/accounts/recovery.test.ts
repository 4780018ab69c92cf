import { describe, expect, it } from 'vitest';
import { BadUserInputError, MeDocument, RecoverApiKeyDocument, RequestApiKeyRecoveryDocument, UnauthenticatedError } from '../../sdk/index.js';
import { registerUser, uniqueEmail } from '../support/accounts.js';
import { useTestServer } from '../support/server.js';

const ctx = useTestServer();

const requestCode = (email: string) => ctx.server.client().request(RequestApiKeyRecoveryDocument, { email });
const recover = (email: string, code: string) => ctx.server.client().request(RecoverApiKeyDocument, { email, code });

async function mailedCode(email: string): Promise<string> {
  const mail = (await ctx.server.mails()).filter((m) => m.to === email).at(-1);
  const code = /\b(\d{6})\b/.exec(mail?.text ?? '')?.[1];
  if (!code) throw new Error(`no recovery code mailed to ${email}`);
  return code;
}

describe('key recovery (happy path)', () => {
  it('mails a code that issues a new key and retires the old ones', async () => {
    const user = await registerUser(ctx.server);
    expect((await requestCode(user.email.toUpperCase())).requestApiKeyRecovery).toBe(true);
    const code = await mailedCode(user.email);

    const { recoverApiKey } = await recover(` ${user.email} `, code);
    expect(recoverApiKey.secret).toMatch(/^sk-stellar-[0-9a-f]{32}$/);
    expect((await ctx.server.client(recoverApiKey.secret).request(MeDocument)).me.id).toBe(user.id);
    await expect(user.client.request(MeDocument)).rejects.toBeInstanceOf(UnauthenticatedError);
    // A code works once.
    await expect(recover(user.email, code)).rejects.toBeInstanceOf(BadUserInputError);
  });
});

describe('key recovery (errors and security)', () => {
  it('answers true for an email without an account and mails nothing', async () => {
    const email = uniqueEmail('nobody');
    expect((await requestCode(email)).requestApiKeyRecovery).toBe(true);
    expect((await ctx.server.mails()).some((m) => m.to === email)).toBe(false);
  });

  it('stores the code hashed, never in clear', async () => {
    const user = await registerUser(ctx.server);
    await requestCode(user.email);
    const code = await mailedCode(user.email);
    const rows = await ctx.server.sql(`select * from recovery_codes where user_id = ?`, [user.id]);
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(code);
  });

  it('refuses a code once 15 minutes have passed', async () => {
    const user = await registerUser(ctx.server);
    await requestCode(user.email);
    const code = await mailedCode(user.email);
    const [validity] = await ctx.server.sql<{ seconds: number }>(
      `select extract(epoch from expires_at - created_at)::int as seconds from recovery_codes where user_id = ?`,
      [user.id],
    );
    expect(validity!.seconds).toBe(15 * 60);
    // Move the clock of this code 15 minutes and a second forward.
    await ctx.server.sql(`update recovery_codes set created_at = created_at - interval '901 seconds', expires_at = expires_at - interval '901 seconds' where user_id = ?`, [user.id]);
    const error = await recover(user.email, code).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadUserInputError);
    expect((error as BadUserInputError).field).toBe('code');
    expect((await user.client.request(MeDocument)).me.id).toBe(user.id);
  });

  it('locks after 5 wrong attempts, even for the right code', async () => {
    const user = await registerUser(ctx.server);
    await requestCode(user.email);
    const code = await mailedCode(user.email);
    const wrong = code === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) await expect(recover(user.email, wrong)).rejects.toBeInstanceOf(BadUserInputError);
    await expect(recover(user.email, code)).rejects.toBeInstanceOf(BadUserInputError);
    expect((await user.client.request(MeDocument)).me.id).toBe(user.id);
  });

  it('answers an unknown email exactly like a wrong code', async () => {
    const refusal = (email: string) => recover(email, '123456').then(() => expect.fail('accepted'), (e: BadUserInputError) => e);
    const unknown = await refusal(uniqueEmail('ghost'));
    const user = await registerUser(ctx.server);
    const wrong = await refusal(user.email);
    expect(unknown.message).toBe(wrong.message);
    expect(unknown.field).toBe(wrong.field);
  });

  it('mails at most one code a minute per account', async () => {
    const user = await registerUser(ctx.server);
    await requestCode(user.email);
    await requestCode(user.email);
    await requestCode(user.email);
    expect((await ctx.server.mails()).filter((m) => m.to === user.email)).toHaveLength(1);
  });
});
