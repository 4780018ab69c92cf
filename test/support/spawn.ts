import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from './private-services.js';
import { testEnv, type TestServerOptions } from './server.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface SpawnedServer {
  url: string;
  graphqlUrl: string;
  process: ChildProcess;
  /** Everything the process wrote, line by line. */
  output: string[];
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts the real server entry (src/main.ts) as its own process, as production runs it: used by
 * the tests that need two instances on one database, or a real SIGTERM. `entry`: node's arguments
 * instead, e.g. `scripts/start.mjs` (what `npm start` runs).
 */
export async function spawnServer(options: TestServerOptions & { entry?: string[] } = {}): Promise<SpawnedServer> {
  const port = await freePort();
  const env = await testEnv({ ...options, env: { LOG_LEVEL: 'info', ...options.env, PORT: String(port) } });
  const child = spawn(process.execPath, options.entry ?? ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: Object.fromEntries(Object.entries({ ...process.env, ...env }).filter(([, v]) => v !== undefined)) as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const collect = (chunk: Buffer) => output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode} before answering:\n${output.join('\n')}`);
    const healthy = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (healthy) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not answer /healthz in 30 s:\n${output.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    graphqlUrl: `${url}/graphql`,
    process: child,
    output,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** A process's resident memory in MB from /proc: now (`VmRSS`) or its peak so far (`VmHWM`). */
export async function residentMb(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(await readFile(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

/**
 * Runs a command to its end in a process group of its own (a hung run is killed with everything it
 * started) and returns what it wrote; for tests that drive a client this project did not write.
 */
export async function runCommand(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(command, args, { cwd: ROOT, env: options.env ?? process.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), options.timeoutMs ?? 60_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(timer);
  return { code, stdout, stderr };
}
