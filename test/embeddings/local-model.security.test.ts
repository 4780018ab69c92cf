import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The built-in model never reaches the network: not to load (weights and vocabulary come from
 * node_modules), not to run, in no thread. Each check runs the model in its own process with every
 * network API refused (test/support/no-network.mjs, preloaded into the main thread and every
 * worker thread), and that process must then end by itself: close() ends the worker threads.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NO_NETWORK = './test/support/no-network.mjs';
const FIXTURE = 'test/embeddings/fixtures/embed-offline.mjs';
const COMPILED = 'test-artifacts/embeddings-dist';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], timeoutMs = 90_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the process did not end within ${timeoutMs} ms (a worker left running?)\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function expectOfflineEmbedding(result: Run): void {
  expect(result.stderr).not.toContain('NETWORK ATTEMPT');
  expect(result.code, result.stderr).toBe(0);
  // The refusals were in force in the main thread and in both workers.
  expect(result.stderr.match(/no-network preload active \(worker \d+\)/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
  const answer = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { dim: number; norm: number; fact: number; other: number };
  expect(answer.dim).toBe(512);
  expect(answer.norm).toBeCloseTo(1, 5);
  expect(answer.fact).toBeGreaterThan(answer.other + 0.2);
}

afterAll(() => rmSync(`${ROOT}${COMPILED}`, { recursive: true, force: true }));

describe('the local embedding model without a network', () => {
  it('refuses and reports any network use in the main thread and in worker threads (the check can fail)', async () => {
    const inWorker = `import net from 'node:net'; try { net.connect(9, '127.0.0.1'); } catch {}`;
    const attempt = `
      const { Worker } = require('node:worker_threads');
      try { fetch('http://127.0.0.1:9/'); } catch {}
      new Worker(new URL('data:text/javascript,' + encodeURIComponent(${JSON.stringify(inWorker)})));`;
    const result = await run(['--import', NO_NETWORK, '-e', attempt]);
    expect(result.stderr).toContain('NETWORK ATTEMPT: fetch');
    expect(result.stderr).toContain('NETWORK ATTEMPT: net.connect');
  });

  it('loads and embeds from the TypeScript source (npm start, tests) with no network, then lets the process exit', async () => {
    expectOfflineEmbedding(await run(['--import', 'tsx', '--import', NO_NETWORK, FIXTURE, 'src/embeddings/local.ts']));
  });

  it('does the same from compiled JavaScript (node dist/src/main.js), with the worker entry next to the pool', async () => {
    // The modules of src/embeddings compiled as the build compiles them.
    const tsc = spawnSync(
      process.execPath,
      ['node_modules/typescript/bin/tsc', '--outDir', COMPILED, '--rootDir', '.', '--module', 'NodeNext', '--moduleResolution', 'NodeNext',
        '--target', 'ES2022', '--strict', '--skipLibCheck', 'src/embeddings/local.ts', 'src/embeddings/worker.ts'],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
    expectOfflineEmbedding(await run(['--import', NO_NETWORK, FIXTURE, `${COMPILED}/src/embeddings/local.js`]));
  });
});
