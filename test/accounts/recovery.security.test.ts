import { describe, expect, it } from 'vitest';
import { BadUserInputError, MeDocument, RecoverApiKeyDocument, RequestApiKeyRecoveryDocument } from '../../sdk/index.js';
import { registerUser, type TestUser } from '../support/accounts.js';
import { ManualClock } from '../support/clock.js';
import { useTestServer } from '../support/server.js';

/**
 * Recovery-code brute force (issue 15, finding 1): a new code every minute used to bring 5 fresh
 * guesses. Failures now count per account across codes: 10 within 24 hours lock the account's
 * recovery for 24 hours, and the locked answers look exactly like the ordinary ones.
 */

const clock = new ManualClock();
const ctx = useTestServer({ clock });

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const requestCode = async (email: string) => (await ctx.server.client().request(RequestApiKeyRecoveryDocument, { email })).requestApiKeyRecovery;
const recover = (email: string, code: string) => ctx.server.client().request(RecoverApiKeyDocument, { email, code });
const mailsTo = async (email: string) => (await ctx.server.mails()).filter((m) => m.to === email);

async function newCode(email: string): Promise<string> {
  const before = (await mailsTo(email)).length;
  expect(await requestCode(email)).toBe(true);
  const mails = await mailsTo(email);
  expect(mails).toHaveLength(before + 1);
  return /\b(\d{6})\b/.exec(mails.at(-1)!.text)![1]!;
}

/** The refusal of a wrong code, as the caller sees it. */
async function refusal(email: string, code: string): Promise<{ message: string; field: string | undefined }> {
  const error = await recover(email, code).then(() => expect.fail('the code was accepted'), (e: unknown) => e);
  expect(error).toBeInstanceOf(BadUserInputError);
  return { message: (error as BadUserInputError).message, field: (error as BadUserInputError).field };
}

const wrongFor = (code: string, i: number) => String((Number(code) + 1 + i) % 1_000_000).padStart(6, '0');

async function guessWrong(user: TestUser, code: string, times: number) {
  for (let i = 0; i < times; i++) await refusal(user.email, wrongFor(code, i));
}

const stillWorks = async (user: TestUser) => expect((await user.client.request(MeDocument)).me.id).toBe(user.id);

describe('recovery lockout across codes', () => {
  it('10 failures within 24 hours over three codes lock recovery: the right code is refused like a wrong one', async () => {
    const user = await registerUser(ctx.server);
    const ordinary = await refusal(user.email, '000000'); // no code yet: the ordinary refusal

    const first = await newCode(user.email);
    await guessWrong(user, first, 5); // this code is used up
    clock.advance(MINUTE + 1_000);
    const second = await newCode(user.email); // a fresh code, which used to mean 5 fresh guesses
    await guessWrong(user, second, 3);
    clock.advance(MINUTE + 1_000);
    const third = await newCode(user.email);
    await guessWrong(user, third, 2); // the 10th failure: locked

    // The right code, fresh and with attempts left, is refused exactly like a wrong one.
    expect(await refusal(user.email, third)).toEqual(ordinary);
    await stillWorks(user);

    // Requests still answer true, and no code is mailed while locked.
    const mailed = (await mailsTo(user.email)).length;
    clock.advance(MINUTE + 1_000);
    expect(await requestCode(user.email)).toBe(true);
    clock.advance(23 * HOUR);
    expect(await requestCode(user.email)).toBe(true);
    expect(await mailsTo(user.email)).toHaveLength(mailed);
    expect(await refusal(user.email, third)).toEqual(ordinary);
    await stillWorks(user);

    // 24 hours after the lock, recovery works again.
    clock.advance(HOUR);
    const after = await newCode(user.email);
    const { recoverApiKey } = await recover(user.email, after);
    expect((await ctx.server.client(recoverApiKey.secret).request(MeDocument)).me.id).toBe(user.id);
  });

  it('failures older than 24 hours no longer count', async () => {
    const user = await registerUser(ctx.server);
    await guessWrong(user, await newCode(user.email), 5);
    clock.advance(MINUTE + 1_000);
    await guessWrong(user, await newCode(user.email), 4); // 9 within the day
    clock.advance(24 * HOUR + 1_000); // all nine fall out of the window
    const fresh = await newCode(user.email);
    await guessWrong(user, fresh, 4);
    const { recoverApiKey } = await recover(user.email, fresh);
    expect(recoverApiKey.secret).toMatch(/^sk-stellar-/);
  });

  it('the lock is per account: another account recovers meanwhile', async () => {
    const victim = await registerUser(ctx.server);
    const other = await registerUser(ctx.server);
    for (let round = 0; round < 2; round++) {
      await guessWrong(victim, await newCode(victim.email), 5);
      clock.advance(MINUTE + 1_000);
    }
    expect(await requestCode(victim.email)).toBe(true);
    const code = await newCode(other.email);
    expect((await recover(other.email, code)).recoverApiKey.secret).toMatch(/^sk-stellar-/);
  });
});
