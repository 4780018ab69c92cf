import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { createClient } from '../sdk/index.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface BenchServer<T> {
  info: T;
  pid: number;
  /** CPU time (user + system) the server process has used so far, in ms. */
  cpuMs(): Promise<number>;
  /** Highest resident set size so far, from the kernel (VmHWM), in MB. */
  peakRssMb(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * The bench servers run as production runs the product: compiled by tsc (tsconfig.bench.json, into
 * .bench-build/) and started by plain node, not through tsx's loader. Compiled once per bench run.
 */
let compiled: Promise<unknown> | undefined;
const compileServers = () =>
  (compiled ??= promisify(execFile)(process.execPath, [fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url)), '-p', 'tsconfig.bench.json'], { cwd: ROOT }));

/** Starts a bench server script (bench/servers/*.ts) as its own process; it prints one JSON line when ready. */
/** The environment the production image sets that changes what the bench measures (the Dockerfile's ENV). */
async function productionProcessEnv(): Promise<Record<string, string>> {
  const dockerfile = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
  const arenas = /MALLOC_ARENA_MAX=(\d+)/.exec(dockerfile)?.[1];
  return arenas ? { MALLOC_ARENA_MAX: arenas } : {};
}

export async function startServer<T>(script: string, env: Record<string, string | undefined> = {}): Promise<BenchServer<T>> {
  await compileServers();
  // BENCH_CPU_PROF=<dir>: each server writes a V8 CPU profile there when it stops (for finding hot spots).
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child: ChildProcess = spawn(process.execPath, [...profile, `.bench-build/${script.replace(/\.ts$/, '.js')}`], {
    cwd: ROOT,
    env: Object.fromEntries(Object.entries({ ...(await productionProcessEnv()), ...process.env, ...env }).filter(([, v]) => v !== undefined)) as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const info = await new Promise<T>((resolve, reject) => {
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const line = buffer.split('\n').find((l) => l.startsWith('{"url"'));
      if (line) resolve(JSON.parse(line) as T);
    });
    child.on('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return {
    info,
    pid: child.pid!,
    async cpuMs() {
      return parseProcStat(await readFile(`/proc/${child.pid}/stat`, 'utf8')).cpuMs;
    },
    async peakRssMb() {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
    },
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface LoadResult {
  requestsPerSec: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  /** 200 responses that carried GraphQL `errors`. */
  graphqlErrors: number;
}

/** The q-quantile (0–1) of unsorted samples. */
export function quantile(samples: number[], q: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export const median = (values: number[]) => quantile(values, 0.5);

/** The keys of R whose values are numbers (a round's figures; optional ones are asked for only when present). */
type FigureOf<R> = { [K in keyof R]-?: R[K] extends number | undefined ? K : never }[keyof R] & string;

/**
 * One server's rounds as one result: the median of each `medians` figure, the sum over the rounds of
 * each `totals` figure (error counts), and the `perRound` figures of every round.
 */
export function summarizeRounds<R, M extends FigureOf<R>, T extends FigureOf<R>, P extends FigureOf<R>>(
  rounds: R[],
  figures: { medians: readonly M[]; totals: readonly T[]; perRound: readonly P[] },
) {
  const value = (round: R, key: FigureOf<R>) => round[key] as number;
  const each = <K extends string>(keys: readonly K[], of: (key: K) => number) => Object.fromEntries(keys.map((key) => [key, of(key)])) as Record<K, number>;
  return {
    ...each(figures.medians, (key) => median(rounds.map((round) => value(round, key)))),
    ...each(figures.totals, (key) => rounds.reduce((sum, round) => sum + value(round, key), 0)),
    rounds: rounds.map((round) => each(figures.perRound, (key) => value(round, key))),
  };
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * Runs a load of `durationSec` seconds against `server` and adds the server's CPU time per request.
 * CPU per request is steadier than req/s on a shared machine: it does not count time spent waiting
 * for a core.
 */
export async function withCpuPerRequest<R extends { requestsPerSec: number }>(
  server: Pick<BenchServer<unknown>, 'cpuMs'>,
  durationSec: number,
  run: () => Promise<R>,
): Promise<R & { cpuUsPerRequest: number }> {
  const cpuBefore = await server.cpuMs();
  const result = await run();
  return { ...result, cpuUsPerRequest: usPerRequest((await server.cpuMs()) - cpuBefore, result, durationSec) };
}

/**
 * The same for PostgreSQL's processes (`localDatabaseCpu`): `databaseCpuUsPerRequest`, left out for
 * a database on another machine.
 */
export async function withDatabaseCpuPerRequest<R extends { requestsPerSec: number }>(
  databaseCpuMs: (() => number) | null,
  durationSec: number,
  run: () => Promise<R>,
): Promise<R & { databaseCpuUsPerRequest?: number }> {
  if (!databaseCpuMs) return run();
  const cpuBefore = databaseCpuMs();
  const result = await run();
  return { ...result, databaseCpuUsPerRequest: usPerRequest(databaseCpuMs() - cpuBefore, result, durationSec) };
}

const usPerRequest = (cpuMs: number, result: { requestsPerSec: number }, durationSec: number) =>
  Math.round((cpuMs * 1000) / (result.requestsPerSec * durationSec));

/**
 * A process's name, its CPU time and that of its children it has reaped, from its /proc/<pid>/stat
 * (utime, stime, cutime, cstime are fields 14–17, in ticks of 10 ms).
 */
function parseProcStat(stat: string): { command: string; cpuMs: number; reapedChildrenCpuMs: number } {
  const end = stat.lastIndexOf(')');
  const fields = stat.slice(end + 2).split(' ');
  return {
    command: stat.slice(stat.indexOf('(') + 1, end),
    cpuMs: (Number(fields[11]) + Number(fields[12])) * 10,
    reapedChildrenCpuMs: (Number(fields[13]) + Number(fields[14])) * 10,
  };
}

/**
 * For a database on this machine (loopback host): the CPU milliseconds all its `postgres` processes
 * have used so far, read from /proc, to show what a load costs the database beside the server.
 * Null for a database elsewhere.
 */
export function localDatabaseCpu(databaseUrl: string): (() => number) | null {
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(new URL(databaseUrl).hostname)) return null;
  return () => {
    let cpuMs = 0;
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const process = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
        // A backend that exits moves its CPU into the postmaster's reaped-children time, so the sum never drops.
        if (process.command === 'postgres') cpuMs += process.cpuMs + process.reapedChildrenCpuMs;
      } catch {
        // exited meanwhile
      }
    }
    return cpuMs;
  };
}

/** One request of a load: its body and any headers of its own. */
export interface LoadRequest {
  body: string;
  headers?: Record<string, string>;
}

/**
 * autocannon POSTing `request(i)` for the i-th request; latencies are kept per response for exact
 * percentiles, and `onResponse` sees every answer (for checks of what the server did).
 */
export async function loadRequests(options: {
  url: string;
  request: (i: number) => LoadRequest;
  headers?: Record<string, string>;
  connections: number;
  durationSec: number;
  onResponse?: (status: number, body: string, request: LoadRequest) => void;
}): Promise<Omit<LoadResult, 'graphqlErrors'>> {
  const latencies: number[] = [];
  let sent = 0;
  const result = await autocannon({
    url: options.url,
    method: 'POST',
    connections: options.connections,
    duration: options.durationSec,
    headers: { 'content-type': 'application/json', ...options.headers },
    requests: [
      {
        setupRequest: (request, context: { sent?: LoadRequest }) => {
          const next = options.request(sent++);
          context.sent = next;
          return { ...request, body: next.body, headers: { ...request.headers, ...next.headers } };
        },
        onResponse: (status, body, context: { sent?: LoadRequest }) => options.onResponse?.(status, body, context.sent!),
      },
    ],
    setupClient: (client) => client.on('response', (_status: number, _bytes: number, ms: number) => latencies.push(ms)),
  });
  return {
    requestsPerSec: Math.round(result.requests.average),
    p50Ms: round2(quantile(latencies, 0.5)),
    p95Ms: round2(quantile(latencies, 0.95)),
    p99Ms: round2(quantile(latencies, 0.99)),
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

/**
 * autocannon against one GraphQL operation. `variables` may be a function of the request's number,
 * for a different input on every request.
 */
export async function load(options: {
  url: string;
  query: string;
  variables?: unknown | ((i: number) => unknown);
  headers?: Record<string, string>;
  connections: number;
  durationSec: number;
}): Promise<LoadResult> {
  let graphqlErrors = 0;
  const { variables } = options;
  const measured = await loadRequests({
    ...options,
    request: (i) => ({ body: JSON.stringify({ query: options.query, variables: (typeof variables === 'function' ? variables(i) : variables) ?? {} }) }),
    onResponse: (status, body) => {
      if (status === 200 && body.includes('"errors"')) graphqlErrors++;
    },
  });
  return { ...measured, graphqlErrors };
}

/** A fresh database on the PostgreSQL server at `serverUrl`, and how to drop it. */
/** One statement on its own connection to the PostgreSQL server at `serverUrl` (create or drop a database). */
export async function adminQuery(serverUrl: string, sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

/** `serverUrl` pointing at database `name`. */
export function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function throwawayDatabase(serverUrl: string, label: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `stellar_bench_${label}_${process.pid}_${Date.now().toString(36)}`;
  await adminQuery(serverUrl, `create database ${name}`);
  return { url: databaseUrl(serverUrl, name), drop: async () => void (await adminQuery(serverUrl, `drop database if exists ${name} with (force)`)) };
}

export const ratio = (value: number, baseline: number) => Math.round((value / baseline) * 1000) / 1000;

/**
 * Waits until the bench server (bench/servers/stellar.ts) has no memory left without a vector;
 * returns the seconds waited.
 */
export async function waitForEmbeddings(server: BenchServer<{ url: string; apiKey: string }>, timeoutMs: number, pollMs = 500): Promise<number> {
  const client = createClient({ url: server.info.url, apiKey: server.info.apiKey });
  const started = Date.now();
  for (;;) {
    const { data } = await client.raw<{ benchPendingEmbeddings: number }, Record<string, never>>('query { benchPendingEmbeddings }');
    if (data?.benchPendingEmbeddings === 0) return (Date.now() - started) / 1000;
    if (Date.now() - started > timeoutMs) throw new Error(`memories still without a vector after ${timeoutMs / 1000} s: ${data?.benchPendingEmbeddings}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
