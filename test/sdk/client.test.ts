import { describe, expect, it } from 'vitest';
import { MeDocument, PlansDocument, RegisterDocument, StoreMemoryDocument, UnauthenticatedError, createClient } from '../../sdk/index.js';
import { uniqueEmail } from '../support/accounts.js';
import { useTestServer } from '../support/server.js';

interface Sent {
  url: string;
  method: string;
  headers: Headers;
  body: { query: string; variables: Record<string, unknown> };
}

/** A fetch that records what the client sends and answers `answer`. */
function recordingFetch(answer: () => Response = () => new Response(JSON.stringify({ data: { plans: [] } }))) {
  const sent: Sent[] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    sent.push({ url: String(input), method: init?.method ?? 'GET', headers: new Headers(init?.headers), body: JSON.parse(String(init?.body)) });
    return answer();
  };
  return { sent, fetch };
}

describe('SDK requests', () => {
  it('POSTs JSON with the printed operation and its variables to the given url', async () => {
    const { sent, fetch } = recordingFetch(() => new Response(JSON.stringify({ data: { storeMemory: null } })));
    await createClient({ url: 'http://sdk.test/graphql', fetch }).raw(StoreMemoryDocument, { input: { content: 'likes tea' } });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.url).toBe('http://sdk.test/graphql');
    expect(sent[0]!.method).toBe('POST');
    expect(sent[0]!.headers.get('content-type')).toBe('application/json');
    expect(sent[0]!.headers.get('accept')).toBe('application/json');
    expect(sent[0]!.body.query).toMatch(/^mutation StoreMemory\(\$input: StoreMemoryInput!\)/);
    expect(sent[0]!.body.query).toContain('fragment MemoryFields on Memory');
    expect(sent[0]!.body.variables).toEqual({ input: { content: 'likes tea' } });
  });

  it('sends the API key as Authorization: Bearer, and nothing without one', async () => {
    const { sent, fetch } = recordingFetch();
    const anonymous = createClient({ url: 'http://sdk.test/graphql', fetch });
    await anonymous.request(PlansDocument);
    await anonymous.withApiKey('sk-stellar-0123456789abcdef0123456789abcdef').request(PlansDocument);
    expect(sent[0]!.headers.has('authorization')).toBe(false);
    expect(sent[0]!.headers.has('x-api-key')).toBe(false);
    expect(sent[1]!.headers.get('authorization')).toBe('Bearer sk-stellar-0123456789abcdef0123456789abcdef');
  });

  it('adds the client headers and then the per-request headers; the API key wins over a stray authorization header', async () => {
    const { sent, fetch } = recordingFetch();
    const client = createClient({ url: 'http://sdk.test/graphql', fetch, apiKey: 'sk-stellar-key', headers: { 'x-client': 'a', authorization: 'Bearer other', 'x-both': 'client' } });
    await client.request(PlansDocument, {}, { headers: { 'x-request': 'b', 'x-both': 'request' } });
    const headers = sent[0]!.headers;
    expect([headers.get('x-client'), headers.get('x-request'), headers.get('x-both')]).toEqual(['a', 'b', 'request']);
    expect(headers.get('authorization')).toBe('Bearer sk-stellar-key');
  });

  it('withApiKey keeps the url, fetch and headers and changes only the key', async () => {
    const { sent, fetch } = recordingFetch();
    const client = createClient({ url: 'http://sdk.test/graphql', fetch, apiKey: 'sk-stellar-first', headers: { 'x-client': 'kept' } });
    await client.withApiKey(undefined).request(PlansDocument);
    expect(sent[0]!.url).toBe('http://sdk.test/graphql');
    expect(sent[0]!.headers.get('x-client')).toBe('kept');
    expect(sent[0]!.headers.has('authorization')).toBe(false);
  });

  it('reads the rate-limit headers of the last response that had them', async () => {
    let headers: Record<string, string> = { 'x-ratelimit-limit': '300', 'x-ratelimit-remaining': '299', 'x-ratelimit-reset': '1795000000' };
    const { fetch } = recordingFetch(() => new Response(JSON.stringify({ data: { plans: [] } }), { headers }));
    const client = createClient({ url: 'http://sdk.test/graphql', fetch });
    expect(client.rateLimit).toBeNull();
    await client.request(PlansDocument);
    expect(client.rateLimit).toEqual({ limit: 300, remaining: 299, reset: new Date(1_795_000_000_000) });
    headers = {};
    await client.request(PlansDocument);
    expect(client.rateLimit?.remaining).toBe(299);
  });

  it('passes the abort signal to fetch', async () => {
    const controller = new AbortController();
    let seen: AbortSignal | null | undefined;
    const client = createClient({
      url: 'http://sdk.test/graphql',
      fetch: async (_input, init) => {
        seen = init?.signal;
        return new Response(JSON.stringify({ data: { plans: [] } }));
      },
    });
    await client.request(PlansDocument, {}, { signal: controller.signal });
    expect(seen).toBe(controller.signal);
  });
});

describe('SDK against a running server', () => {
  const ctx = useTestServer();

  it('registers, then authenticates with the returned key and sees the rate-limit headers; a bad key is an UnauthenticatedError', async () => {
    const email = uniqueEmail('sdk');
    const { register } = await ctx.server.client().request(RegisterDocument, { input: { email } });
    const client = ctx.server.client(register.apiKey.secret);
    const { me } = await client.request(MeDocument);
    expect(me.email).toBe(email);
    expect(client.rateLimit).toMatchObject({ limit: 60, remaining: expect.any(Number) });
    expect(client.rateLimit!.reset.getTime()).toBeGreaterThan(Date.now());
    await expect(ctx.server.client('sk-stellar-00000000000000000000000000000000').request(MeDocument)).rejects.toBeInstanceOf(UnauthenticatedError);
  });
});
