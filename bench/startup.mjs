// Start-up time, measured the same way before and after a change (docs/benchmarks.md, "Start-up").
//   node bench/startup.mjs production [runs=5]   `node dist/src/main.js` (run `npm run build` first) on
//                                                an external PostgreSQL with migrations applied:
//                                                STARTUP_DATABASE_URL (default: the `startup_probe` database)
//   node bench/startup.mjs npm-start [runs=5]    `npm start` on an existing embedded data folder
//                                                (STARTUP_EMBEDDED_DIR, default .data/startup-probe; the
//                                                first start creates it and is not counted)
// Each run spawns the server, polls /healthz every 10 ms and records spawn → first 200, then checks
// (not counted) that /readyz and a GraphQL request answer too, and stops it with SIGTERM. Prints
// every run and the median, with the load average: on a busy machine every figure is slower.
// STARTUP_DIR runs another checkout (e.g. a worktree of the commit before a change).
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const mode = process.argv[2] ?? 'production';
const runs = Number(process.argv[3] ?? 5);
const cwd = process.env.STARTUP_DIR ?? process.cwd();
const PORT = Number(process.env.STARTUP_PORT ?? 18080);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const base = { ...process.env, PORT: String(PORT), HOST: '127.0.0.1', MAIL_OUTBOX_DIR: mkdtempSync(join(tmpdir(), 'startup-outbox-')), SHUTDOWN_GRACE_MS: '0' };
delete base.DATABASE_URL;
delete base.REDIS_URL;

let command;
if (mode === 'production') {
  command = {
    cmd: process.execPath,
    args: ['dist/src/main.js'],
    env: {
      ...base,
      NODE_ENV: 'production',
      DATABASE_URL: process.env.STARTUP_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/startup_probe',
      PUBLIC_URL: `http://127.0.0.1:${PORT}`,
      METRICS_PORT: String(PORT + 1),
      ADMIN_API_KEY: 'admin-key-0123456789abcdef',
      // Providers configured as a deployment has them (made-up keys: nothing is contacted at start).
      STRIPE_SECRET_KEY: 'sk_test_probe', STRIPE_WEBHOOK_SECRET: 'whsec_probe', STRIPE_PRICE_PRO: 'price_pro', STRIPE_PRICE_TEAM: 'price_team',
      LEMON_API_KEY: 'lemon', LEMON_STORE_ID: '1', LEMON_VARIANT_PRO: '2', LEMON_VARIANT_TEAM: '3', LEMON_WEBHOOK_SECRET: 'lemonsecret',
      TOSS_SECRET_KEY: 'test_sk_probe', TOSS_CLIENT_KEY: 'test_ck_probe', TOSS_WEBHOOK_SECRET: 'tosssecret',
      BILLING_KEY_SECRET: '00'.repeat(32),
    },
  };
} else if (mode === 'npm-start') {
  command = { cmd: 'npm', args: ['start'], env: { ...base, EMBEDDED_DB_DIR: process.env.STARTUP_EMBEDDED_DIR ?? join(cwd, '.data/startup-probe') } };
} else {
  throw new Error(`unknown mode ${mode}: production or npm-start`);
}

async function ok(path, init) {
  try {
    const response = await fetch(`http://127.0.0.1:${PORT}${path}`, { ...init, signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

async function once() {
  const started = performance.now();
  const child = spawn(command.cmd, command.args, { cwd, env: command.env, detached: true, stdio: ['ignore', 'ignore', 'inherit'] });
  let exited = false;
  const exit = new Promise((resolve) => child.on('exit', (code, signal) => ((exited = true), resolve({ code, signal }))));
  let healthz = null;
  while (!exited && performance.now() - started < 60_000) {
    if (await ok('/healthz')) {
      healthz = performance.now() - started;
      break;
    }
    await sleep(10);
  }
  const serving = healthz !== null && (await ok('/readyz')) && (await ok('/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' }));
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {}
  await exit;
  await sleep(300);
  if (!serving) throw new Error(`the server did not serve /readyz and GraphQL after /healthz (healthz: ${healthz})`);
  return healthz;
}

if (mode === 'npm-start') await once(); // the folder exists from here on
const times = [];
for (let i = 0; i < runs; i++) {
  times.push(await once());
  console.log(`run ${i + 1}: /healthz 200 after ${times.at(-1).toFixed(0)} ms (load ${loadavg().map((x) => x.toFixed(2)).join(' ')})`);
}
const sorted = [...times].sort((a, b) => a - b);
console.log(`${mode}: median ${sorted[Math.floor(sorted.length / 2)].toFixed(0)} ms of ${runs} (${sorted.map((t) => t.toFixed(0)).join(', ')})`);
