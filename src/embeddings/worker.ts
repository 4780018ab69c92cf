import { parentPort } from 'node:worker_threads';
import { USE_LITE_DIM, type FromWorker, type ToWorker } from './protocol.js';
import { BACKGROUND_RUN_TOKENS, INTERACTIVE_RUN_TOKENS, UseLiteEncoder, type Encoding } from './use-lite.js';

/**
 * A worker thread of the local embedding model (./local.ts). It loads the model, then serves two
 * lanes: query jobs run as soon as the current model run ends, all pending ones together; batch
 * jobs advance one model run at a time in between. Between runs it lets incoming messages in.
 * While queries keep coming, background runs are kept small so that a query never waits long.
 */

/** Queries within this long make background runs small. */
const INTERACTIVE_MS = 1_000;

const port = parentPort!;
const post = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

type Job = Extract<ToWorker, { kind: 'embed' }>;
const queries: Job[] = [];
const batches: Job[] = [];
let wake: (() => void) | null = null;
let lastQueryAt = -Infinity;
let stopping = false;
let loadFailed = false;

port.on('message', (message: ToWorker) => {
  if (message.kind === 'stop') {
    stopping = true;
    // After a failed load nothing runs here that would see the flag.
    if (loadFailed) void stop(null);
  } else if (message.lane === 'query') {
    queries.push(message);
    lastQueryAt = performance.now();
  } else {
    batches.push(message);
  }
  wake?.();
});

function reply(job: Job, vectors: Float32Array): void {
  post({ kind: 'done', id: job.id, vectors }, [vectors.buffer as ArrayBuffer]);
}

const fail = (job: Job, err: unknown) => post({ kind: 'error', id: job.id, message: (err as Error).message ?? String(err) });

/** Ends the thread between model runs, never in one (see ToWorker `stop`); unanswered jobs are failed by the pool. */
async function stop(encoder: UseLiteEncoder | null): Promise<never> {
  await encoder?.dispose().catch(() => undefined);
  process.exit(0);
}

async function serve(encoder: UseLiteEncoder): Promise<never> {
  let current: { job: Job; encoding: Encoding } | null = null;
  for (;;) {
    if (stopping) return stop(encoder);
    if (queries.length > 0) {
      const jobs = queries.splice(0);
      try {
        const vectors = await encoder.embed(jobs.flatMap((job) => job.texts));
        let offset = 0;
        for (const job of jobs) {
          reply(job, vectors.slice(offset, offset + job.texts.length * USE_LITE_DIM));
          offset += job.texts.length * USE_LITE_DIM;
        }
      } catch (err) {
        for (const job of jobs) fail(job, err);
      }
    } else if (current || batches.length > 0) {
      const job: Job = current?.job ?? batches.shift()!;
      try {
        current ??= { job, encoding: encoder.encode(job.texts) };
        const interactive = performance.now() - lastQueryAt < INTERACTIVE_MS;
        if (!current.encoding.done) await current.encoding.step(interactive ? INTERACTIVE_RUN_TOKENS : BACKGROUND_RUN_TOKENS);
        if (current.encoding.done) {
          reply(job, current.encoding.vectors());
          current = null;
        }
      } catch (err) {
        fail(job, err);
        current = null;
      }
    } else {
      await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
    }
    // Messages (new queries) are delivered only when the thread's event loop turns.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const started = performance.now();
UseLiteEncoder.load().then(
  (encoder) => {
    if (stopping) return void stop(encoder);
    post({ kind: 'ready', loadMs: Math.round(performance.now() - started) });
    void serve(encoder);
  },
  (err: unknown) => {
    loadFailed = true;
    if (stopping) return void stop(null);
    post({ kind: 'failed', message: (err as Error).message ?? String(err) });
  },
);
