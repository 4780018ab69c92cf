import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeDocument, RecoverApiKeyDocument, RequestApiKeyRecoveryDocument } from '../../sdk/index.js';
import { registerUser } from '../support/accounts.js';
import { useTestServer } from '../support/server.js';

/** With SMTP_URL, the recovery mail leaves through SMTP (a local SMTP server here), not the outbox. */
const received: { to: string[]; data: string }[] = [];
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  onData(stream, session, callback) {
    let data = '';
    stream.on('data', (chunk: Buffer) => (data += chunk.toString()));
    stream.on('end', () => {
      received.push({ to: session.envelope.rcptTo.map((r) => r.address), data });
      callback();
    });
  },
});

beforeAll(() => new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve)));
// Registered before the server's: runs after it closes.
afterAll(() => new Promise<void>((resolve) => smtp.close(() => resolve())));
const ctx = useTestServer(() => {
  const { port } = smtp.server.address() as { port: number };
  return { env: { SMTP_URL: `smtp://127.0.0.1:${port}`, MAIL_FROM: 'Stellar <no-reply@example.com>' } };
});

describe('key recovery over SMTP', () => {
  it('sends the code by SMTP and writes nothing to the outbox; the code issues a key', async () => {
    const user = await registerUser(ctx.server);
    await ctx.server.client().request(RequestApiKeyRecoveryDocument, { email: user.email });
    const mail = received.find((m) => m.to.includes(user.email));
    expect(mail?.data).toMatch(/^From: Stellar <no-reply@example\.com>/m);
    const code = /\b(\d{6})\b/.exec(mail!.data)![1]!;
    expect(await ctx.server.mails()).toEqual([]);
    const { recoverApiKey } = await ctx.server.client().request(RecoverApiKeyDocument, { email: user.email, code });
    expect((await ctx.server.client(recoverApiKey.secret).request(MeDocument)).me.id).toBe(user.id);
  });
});
