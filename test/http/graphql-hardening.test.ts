import { getIntrospectionQuery } from 'graphql';
import { describe, expect, it } from 'vitest';
import { OPERATION_LIMITS } from '../../src/graphql/hardening.js';
import { useUser } from '../support/accounts.js';
import { useTestServer } from '../support/server.js';

const ctx = useTestServer();
const user = useUser(ctx);

const post = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(ctx.server.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${user.secret}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

async function refusal(query: string) {
  const response = await post({ query });
  const body = (await response.json()) as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
  return { status: response.status, data: body.data, error: body.errors?.[0] };
}

describe('GraphQL hardening', () => {
  it('refuses more than 30 aliases before anything runs', async () => {
    const query = `{ ${Array.from({ length: OPERATION_LIMITS.maxAliases + 1 }, (_, i) => `a${i}: plans { tier }`).join(' ')} }`;
    const { status, data, error } = await refusal(query);
    expect(status).toBe(400);
    expect(data).toBeUndefined();
    expect(error!.extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(error!.message).toMatch(/Aliases limit of 30 exceeded/);
  });

  it('refuses a selection nested deeper than 10', async () => {
    const query = `{ __type(name: "Query") { fields { type { ${'ofType { '.repeat(8)}name${' }'.repeat(8)} } } } }`;
    const { status, error } = await refusal(query);
    expect(status).toBe(400);
    expect(error!.extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(error!.message).toMatch(/Query depth limit of 10 exceeded/);
  });

  it('refuses more than 50 directives', async () => {
    const query = `{ plans { tier ${Array.from({ length: 51 }, () => '@include(if: true)').join(' ')} } }`;
    const { status, error } = await refusal(query);
    expect(status).toBe(400);
    expect(error!.message).toMatch(/Directives limit of 50 exceeded/);
  });

  it('refuses a document of more than 5,000 tokens without building it', async () => {
    const query = `{ plans { ${'tier '.repeat(5_001)} } }`;
    const { status, error } = await refusal(query);
    expect(status).toBe(400);
    expect(error!.extensions!.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(error!.message).toMatch(/Document contains more tha[nt] 5000 tokens/);
  });

  it('refuses batched HTTP requests', async () => {
    const response = await post([{ query: '{ plans { tier } }' }, { query: '{ plans { tier } }' }]);
    expect(response.status).toBe(400);
  });

  it('answers malformed JSON with 400', async () => {
    const response = await post('{"query": "{ plans { tier } }"');
    expect(response.status).toBe(400);
  });

  it('answers a body over 1 MB with 413', async () => {
    const response = await post({ query: `{ plans { tier } } #${'x'.repeat(1024 * 1024)}` });
    expect(response.status).toBe(413);
  });

  it('refuses a GET without a CSRF-safe header (CSRF prevention), accepts it with one', async () => {
    const url = `${ctx.server.graphqlUrl}?query=${encodeURIComponent('{ plans { tier } }')}`;
    expect((await fetch(url)).status).toBe(400);
    expect((await fetch(url, { headers: { 'apollo-require-preflight': 'true' } })).status).toBe(200);
  });

  it('still answers the introspection query tools send (Sandbox, codegen)', async () => {
    const response = await post({ query: getIntrospectionQuery() });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: { __schema: { queryType: { name: string } } } };
    expect(body.data.__schema.queryType.name).toBe('Query');
  });
});
