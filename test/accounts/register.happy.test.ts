import { describe, expect, it } from 'vitest';
import { createClient, MeDocument, RegisterDocument } from '../../sdk/index.js';
import { sha256Hex } from '../../src/crypto.js';
import { uniqueEmail } from '../support/accounts.js';
import { useTestServer } from '../support/server.js';

const ctx = useTestServer();

describe('register', () => {
  it('creates a FREE account and a key that works with both auth headers', async () => {
    const email = uniqueEmail('Happy');
    const { register } = await ctx.server.client().request(RegisterDocument, { input: { email: `  ${email.toUpperCase()} ` } });

    expect(register.user.email).toBe(email.toLowerCase());
    expect(register.user.tier).toBe('FREE');
    const { secret, apiKey } = register.apiKey;
    expect(secret).toMatch(/^sk-stellar-[0-9a-f]{32}$/);
    expect(apiKey.prefix).toBe(secret.slice(0, 15));
    expect(apiKey.lastFour).toBe(secret.slice(-4));
    expect(apiKey.name).toBe('default');
    expect(apiKey.revokedAt).toBeNull();

    const viaBearer = await ctx.server.client(secret).request(MeDocument);
    expect(viaBearer.me.id).toBe(register.user.id);

    const viaHeader = createClient({ url: ctx.server.graphqlUrl, headers: { 'x-api-key': secret } });
    const viaApiKeyHeader = await viaHeader.request(MeDocument);
    expect(viaApiKeyHeader.me.email).toBe(email.toLowerCase());
  });

  it('stores only the SHA-256 digest of the key', async () => {
    const { register } = await ctx.server.client().request(RegisterDocument, { input: { email: uniqueEmail() } });
    const rows = await ctx.server.sql<Record<string, unknown>>(`select * from api_keys where user_id = ?`, [register.user.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.key_hash).toBe(sha256Hex(register.apiKey.secret));
    expect(JSON.stringify(rows)).not.toContain(register.apiKey.secret);
    expect(JSON.stringify(rows)).not.toContain(register.apiKey.secret.slice(11));
  });
});
