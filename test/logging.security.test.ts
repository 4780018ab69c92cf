import { describe, expect, it } from 'vitest';
import { createClient, CreateApiKeyDocument, MeDocument, RecoverApiKeyDocument, RequestApiKeyRecoveryDocument, RotateApiKeyDocument, StoreMemoryDocument } from '../sdk/index.js';
import { Tier } from '../src/entities/enums.js';
import { grantTier, registerUser } from './support/accounts.js';
import { LogCapture } from './support/logs.js';
import { useTestServer } from './support/server.js';

const ADMIN_KEY = 'admin-secret-never-logged-0001';
const logs = new LogCapture();
const ctx = useTestServer({ logs, env: { ADMIN_API_KEY: ADMIN_KEY } });

describe('logs never contain secrets', () => {
  it('keeps keys, recovery codes and the admin key out of every log line, even at trace level', async () => {
    const user = await registerUser(ctx.server);
    await grantTier(ctx.server, user.id, Tier.PRO);
    const secrets = [user.secret, ADMIN_KEY];
    const { createApiKey } = await user.client.request(CreateApiKeyDocument, { input: { name: 'second' } });
    secrets.push(createApiKey.secret);
    await createClient({ url: ctx.server.graphqlUrl, headers: { 'x-api-key': createApiKey.secret } }).request(MeDocument);
    await createClient({ url: ctx.server.graphqlUrl, headers: { authorization: `Bearer ${ADMIN_KEY}` } }).raw(MeDocument);
    const { rotateApiKey } = await user.client.request(RotateApiKeyDocument, { id: createApiKey.apiKey.id });
    secrets.push(rotateApiKey.secret);

    await ctx.server.client().request(RequestApiKeyRecoveryDocument, { email: user.email });
    const mail = (await ctx.server.mails()).at(-1)!;
    const code = /\b(\d{6})\b/.exec(mail.text)![1]!;
    secrets.push(code);
    await ctx.server.client().raw(RecoverApiKeyDocument, { email: user.email, code: code === '999999' ? '000000' : '999999' });
    const { recoverApiKey } = await ctx.server.client().request(RecoverApiKeyDocument, { email: user.email, code });
    secrets.push(recoverApiKey.secret);
    // A GET with a key in the query string (a client mistake) must not leak through the access log either.
    await fetch(`${ctx.server.graphqlUrl}?query=${encodeURIComponent('{ me { id } }')}&key=${user.secret}`, { headers: { 'apollo-require-preflight': '1' } });

    const text = logs.text();
    expect(logs.lines.length).toBeGreaterThan(10);
    for (const secret of secrets) expect(text).not.toContain(secret);
    // The hex body of a key is the secret part: not even that appears.
    for (const secret of secrets.filter((s) => s.startsWith('sk-stellar-'))) expect(text).not.toContain(secret.slice(11));
    // Every request line carries its request id.
    const completed = logs.entries().filter((e) => e.msg === 'request completed');
    expect(completed.length).toBeGreaterThan(5);
    expect(completed.every((e) => typeof e.requestId === 'string' && e.requestId.length > 0)).toBe(true);
  });
});

describe('database errors in the logs', () => {
  it('carry PostgreSQL\'s message and code, never the statement, its values or row details', async () => {
    const user = await registerUser(ctx.server);
    const content = `private thought ${Math.random().toString(36).slice(2)}`;
    await ctx.server.sql(`alter table memories rename to memories_away`);
    try {
      const response = await user.client.raw(StoreMemoryDocument, { input: { content } });
      expect(response.errors[0]!.extensions!.code).toBe('INTERNAL_SERVER_ERROR');
    } finally {
      await ctx.server.sql(`alter table memories_away rename to memories`);
    }
    const failure = logs.entries().find((e) => e.msg === 'GraphQL operation failed' && JSON.stringify(e).includes('memories'));
    expect(failure).toBeDefined();
    expect((failure!.err as { message: string }).message).toMatch(/relation "memories" does not exist/);
    const text = logs.text();
    expect(text).not.toContain(content);
    expect(text).not.toContain(user.email);
    expect(text).not.toMatch(/insert into/i);
  });
});
