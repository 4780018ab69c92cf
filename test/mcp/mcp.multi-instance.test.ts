import { afterAll, describe, expect, it } from 'vitest';
import { AgentsDocument, createClient } from '../../sdk/index.js';
import { registerUser } from '../support/accounts.js';
import { SHARED_DATABASE_SKIP_REASON, sharedDatabaseAvailable } from '../support/database.js';
import { freshWindow } from '../support/limits.js';
import { mcpClientFor, refusal, type McpTestClient } from '../support/mcp.js';
import { REDIS_SKIP_REASON, redisAvailable } from '../support/server.js';
import { spawnServer, type SpawnedServer } from '../support/spawn.js';

/**
 * Two server processes on one PostgreSQL (then also Redis): a FREE user's tool calls share one
 * exact per-minute budget across both instances, and with GraphQL operations.
 */

const started: SpawnedServer[] = [];
const clients: McpTestClient[] = [];
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(started.map((s) => s.stop()));
});

async function twoInstances(redis: boolean) {
  const instances = await Promise.all([spawnServer({ redis }), spawnServer({ redis })]);
  started.push(...instances);
  const register = () => registerUser({ client: (key) => createClient({ url: instances[0]!.graphqlUrl, apiKey: key }) });
  const mcpOn = async (secret: string) => {
    const both = await Promise.all(instances.map((instance) => mcpClientFor(instance, secret)));
    clients.push(...both);
    return both;
  };
  return { instances, register, mcpOn };
}

type Outcome = 'ok' | 'RATE_LIMITED' | string;

function tally(outcomes: Outcome[]) {
  const ok = outcomes.filter((o) => o === 'ok').length;
  const limited = outcomes.filter((o) => o === 'RATE_LIMITED').length;
  return [ok, limited, outcomes.length - ok - limited];
}

async function exactAcrossInstances(redis: boolean) {
  const { instances, register, mcpOn } = await twoInstances(redis);
  const [alone, mixed] = await Promise.all([register(), register()]);
  const aloneClients = await mcpOn(alone.secret);
  const mixedClients = await mcpOn(mixed.secret);
  const graphql = instances.map((instance) => createClient({ url: instance.graphqlUrl, apiKey: mixed.secret }));
  const toolOutcome = async (client: McpTestClient): Promise<Outcome> => {
    const result = await client.call('recall', { query: 'anything at all' });
    return result.isError ? refusal(result).extensions.code : 'ok';
  };

  await freshWindow(25_000);
  const [toolsOnly, toolsAndGraphQL] = await Promise.all([
    // 150 concurrent tool calls of one FREE user, split over the two instances.
    Promise.all(Array.from({ length: 150 }, (_, i) => toolOutcome(aloneClients[i % 2]!))),
    // Another FREE user: 75 tool calls and 75 GraphQL operations at once, over both instances.
    Promise.all(
      Array.from({ length: 150 }, async (_, i): Promise<Outcome> => {
        if (i % 2 === 0) return toolOutcome(mixedClients[(i / 2) % 2]!);
        const response = await graphql[((i - 1) / 2) % 2]!.raw(AgentsDocument);
        return response.status === 429 ? 'RATE_LIMITED' : response.errors.length === 0 ? 'ok' : String(response.errors[0]!.extensions?.code);
      }),
    ),
  ]);
  expect(tally(toolsOnly)).toEqual([60, 90, 0]);
  expect(tally(toolsAndGraphQL)).toEqual([60, 90, 0]);
}

describe.skipIf(!sharedDatabaseAvailable())(`MCP tool calls share the exact budget across two instances (${SHARED_DATABASE_SKIP_REASON})`, () => {
  it('PostgreSQL counters: 150 concurrent tool calls give 60 successes and 90 RATE_LIMITED; mixed with GraphQL, the same', { timeout: 180_000 }, async () => {
    await exactAcrossInstances(false);
  });

  it.skipIf(!redisAvailable())(`Redis counters: the same (${REDIS_SKIP_REASON})`, { timeout: 180_000 }, async () => {
    await exactAcrossInstances(true);
  });
});
