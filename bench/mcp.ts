import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { print } from 'graphql';
import { RecallMemoriesDocument, StoreMemoriesDocument, createClient } from '../sdk/index.js';
import { MCP_PATH } from '../src/mcp/path.js';
import { load, loadRequests, ratio, startServer, summarizeRounds, throwawayDatabase, waitForEmbeddings, withCpuPerRequest, type BenchServer, type LoadResult } from './lib.js';

/**
 * Issue 18's figure: what the MCP door costs over GraphQL for the same work. One server (the
 * product's composition, bench/servers/stellar.ts), one user's memories, the same recall queries:
 * `recallMemories` through POST /graphql against the `recall` tool through POST /mcp (a
 * `tools/call` per request, as an agent sends it). Both are measured in turn, `rounds` times, after
 * a warm-up; figures are medians. The target: a tool call costs at most 1.3 times the GraphQL
 * operation, in server CPU per request. With the built-in model (the default) both embed each
 * query; measuring starts once the seeded memories are embedded.
 */

const MEMORIES = 5_000;
const CONNECTIONS = 10;
const WARMUP_SEC = 3;
const TARGET = 1.3;

const WORDS = (
  'coffee tea garden flight meeting dinner lunch train ticket hotel beach mountain river lake island forest winter summer ' +
  'birthday wedding holiday airport station hospital allergy recipe kitchen bread cheese apple orange project deadline ' +
  'invoice budget report client contract review design release server database backup password laptop phone email'
).split(' ');

interface ServerInfo {
  url: string;
  apiKey: string;
}

type Round = LoadResult & { cpuUsPerRequest: number };

/** Deterministic memories of a few words each, and two-word queries over the same words. */
const word = (i: number) => WORDS[i % WORDS.length]!;
const memoryText = (i: number) => `note ${i}: ${word(i)} ${word(i * 7 + 3)} ${word(i * 13 + 5)} ${word(i * 31 + 11)}`;
const query = (i: number) => `${word(i * 17 + 1)} ${word(i * 29 + 2)}`;

async function seed(info: ServerInfo): Promise<void> {
  const client = createClient({ url: info.url, apiKey: info.apiKey });
  for (let start = 0; start < MEMORIES; start += 100) {
    const inputs = Array.from({ length: Math.min(100, MEMORIES - start) }, (_, k) => ({ content: memoryText(start + k), importance: ((start + k) % 10) / 10 }));
    await client.request(StoreMemoriesDocument, { inputs });
  }
}

export async function benchMcp(opts: { databaseUrl?: string; redisUrl?: string; durationSec: number; rounds: number }): Promise<Record<string, unknown>> {
  const database = opts.databaseUrl ? await throwawayDatabase(opts.databaseUrl, 'mcp') : null;
  const embeddedDir = database ? null : await mkdtemp(join(tmpdir(), 'stellar-bench-mcp-'));
  let server: BenchServer<ServerInfo> | undefined;
  try {
    server = await startServer<ServerInfo>('bench/servers/stellar.ts', {
      DATABASE_URL: database?.url,
      REDIS_URL: database ? opts.redisUrl : undefined,
      EMBEDDED_DB_DIR: embeddedDir ?? undefined,
    });
    const { info } = server;
    await seed(info);
    // The server's CPU per request is the figure: the embedding worker must be done with the seed first.
    await waitForEmbeddings(server, 10 * 60_000);
    const authorization = `Bearer ${info.apiKey}`;
    const mcpUrl = info.url.replace(/\/graphql$/, MCP_PATH);
    let toolErrors = 0;

    const graphql = (durationSec: number) =>
      load({
        url: info.url,
        query: print(RecallMemoriesDocument),
        variables: (i: number) => ({ input: { query: query(i), limit: 10 } }),
        headers: { authorization },
        connections: CONNECTIONS,
        durationSec,
      });
    const mcp = async (durationSec: number): Promise<LoadResult> => {
      const result = await loadRequests({
        url: mcpUrl,
        headers: { authorization, accept: 'application/json, text/event-stream', 'mcp-protocol-version': LATEST_PROTOCOL_VERSION },
        request: (i) => ({
          body: JSON.stringify({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'recall', arguments: { query: query(i), limit: 10 } } }),
        }),
        onResponse: (status, body) => {
          if (status === 200 && (body.includes('"isError":true') || body.includes('"error":{'))) toolErrors++;
        },
        connections: CONNECTIONS,
        durationSec,
      });
      return { ...result, graphqlErrors: 0 };
    };

    const sides: { name: 'graphql' | 'mcp'; run: (durationSec: number) => Promise<LoadResult>; rounds: Round[] }[] = [
      { name: 'graphql', run: graphql, rounds: [] },
      { name: 'mcp', run: mcp, rounds: [] },
    ];
    for (const side of sides) await side.run(WARMUP_SEC);
    for (let round = 0; round < opts.rounds; round++) {
      for (const side of sides) side.rounds.push(await withCpuPerRequest(server, opts.durationSec, () => side.run(opts.durationSec)));
    }
    const [viaGraphql, viaMcp] = sides.map((side) =>
      summarizeRounds(side.rounds, {
        medians: ['requestsPerSec', 'cpuUsPerRequest', 'p50Ms', 'p99Ms'],
        totals: ['non2xx', 'errors', 'graphqlErrors'],
        perRound: ['requestsPerSec', 'cpuUsPerRequest', 'p50Ms'],
      }),
    );
    const cpuRatio = ratio(viaMcp!.cpuUsPerRequest, viaGraphql!.cpuUsPerRequest);
    // Issue 16: < 400 MB with the model loaded, in every bench scenario.
    const serverPeakRssMb = Math.round(await server.peakRssMb());
    const clean = [viaGraphql!, viaMcp!].every((side) => side.non2xx + side.errors + side.graphqlErrors === 0) && toolErrors === 0;
    return {
      memories: MEMORIES,
      connections: CONNECTIONS,
      rounds: opts.rounds,
      database: database ? 'postgres' : 'embedded',
      graphql: viaGraphql,
      mcp: { ...viaMcp, toolErrors },
      cpuPerRequestRatio: cpuRatio,
      p50Ratio: ratio(viaMcp!.p50Ms, viaGraphql!.p50Ms),
      throughputRatio: ratio(viaMcp!.requestsPerSec, viaGraphql!.requestsPerSec),
      target: `MCP CPU per request <= ${TARGET} x GraphQL`,
      met: clean && cpuRatio <= TARGET,
      serverPeakRssMb: { value: serverPeakRssMb, met: serverPeakRssMb < 400 },
    };
  } finally {
    await server?.stop();
    await database?.drop();
    if (embeddedDir) await rm(embeddedDir, { recursive: true, force: true });
  }
}
