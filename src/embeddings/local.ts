import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { EmbeddingsUnavailable, type EmbeddingModel } from './model.js';
import { USE_LITE_DIM, USE_LITE_NAME, type FromWorker, type Lane, type ToWorker } from './protocol.js';

/**
 * The built-in sentence-embedding model (./use-lite.ts) in worker threads, so that inference never
 * blocks the server's event loop. Two lanes: a query (`embedQuery`) goes to a worker at once and
 * runs as soon as that worker's current model run ends, with every other query waiting there;
 * background texts (`embedBatch`) go out in chunks, one chunk per worker at a time, and a worker
 * advances its chunk one small model run at a time. So a query waits behind at most one small run,
 * never behind a queue of background work. Design and measurements: docs/embeddings.md.
 */

export interface LocalEmbeddingsOptions {
  /** Worker threads, each with its own copy of the model (EMBEDDINGS_THREADS: docs/embeddings.md). */
  workers: number;
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
  /**
   * Spawn the first worker only once this settles (the server passes "listening"): loading the
   * model takes a core for a second or two, which on a small machine would otherwise slow the start.
   */
  startAfter?: Promise<unknown>;
}

/** Texts per background job handed to one worker. */
const BATCH_CHUNK = 32;
const RESPAWN_FIRST_MS = 1_000;
const RESPAWN_MAX_MS = 60_000;

interface Pending {
  lane: Lane;
  texts: number;
  resolve(vectors: Float32Array): void;
  reject(err: Error): void;
}

interface Slot {
  index: number;
  worker: Worker | null;
  state: 'loading' | 'ready' | 'restarting' | 'failed' | 'closed';
  pending: Map<number, Pending>;
  /** Consecutive crashes after a successful load, for the respawn delay. */
  crashes: number;
}

interface Chunk {
  texts: string[];
  call: BatchCall;
  pending: Pending;
}

/** The chunks of one embedBatch call: once one fails, the others are not worth computing. */
interface BatchCall {
  failed: boolean;
}

/**
 * A worker allocates little JavaScript garbage but V8 would let its young generation grow to
 * tens of MB; a small one keeps each worker's resident size down (docs/embeddings.md).
 */
const WORKER_LIMITS = { resourceLimits: { maxYoungGenerationSizeMb: 4 } };

/** The worker entry: compiled JavaScript next to this file, or under tsx/vitest the TypeScript source. */
function spawnWorker(): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./worker.js', here), WORKER_LIMITS);
  // A worker thread does not inherit a test runner's module loader: register tsx in it first.
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./worker.ts', here).href;
  const bootstrap = `const tsx = await import(${JSON.stringify(tsx)}); tsx.register(); await import(${JSON.stringify(entry)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`), WORKER_LIMITS);
}

export class LocalEmbeddings implements EmbeddingModel {
  readonly name = USE_LITE_NAME;
  readonly dim = USE_LITE_DIM;

  private readonly slots: Slot[];
  private readonly backlog: Chunk[] = [];
  private nextId = 1;
  private closed = false;
  private failure: string | null = null;
  private readonly waiters: { resolve(): void; reject(err: Error): void }[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(
    workers: number,
    private readonly logger: LocalEmbeddingsOptions['logger'],
    startAfter?: Promise<unknown>,
  ) {
    this.slots = Array.from({ length: workers }, (_, index) => ({ index, worker: null, state: 'loading' as const, pending: new Map(), crashes: 0 }));
    if (!startAfter) this.spawn(this.slots[0]!);
    else {
      const first = () => {
        if (!this.closed && !this.slots[0]!.worker) this.spawn(this.slots[0]!);
      };
      startAfter.then(first, first);
    }
  }

  /**
   * Workers load one after another: loading holds the weights twice for a moment (being decoded,
   * and in the model), and two loads at once made the server's peak RSS (docs/embeddings.md).
   */
  private spawnNextLoader(after: Slot): void {
    const next = this.slots[after.index + 1];
    if (next && !next.worker && !this.closed) this.spawn(next);
  }

  /** Starts the workers and returns at once: the model loads in the background (~1–2 s). */
  static start(options: LocalEmbeddingsOptions): LocalEmbeddings {
    const { workers } = options;
    if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`workers must be a positive integer, got ${workers}`);
    return new LocalEmbeddings(workers, options.logger, options.startAfter);
  }

  /** At least one worker has the model loaded. */
  get ready(): boolean {
    return this.slots.some((slot) => slot.state === 'ready');
  }

  /** Workers by state, for logs and health reports. */
  status(): { ready: number; starting: number; failed: number } {
    const count = (state: Slot['state']) => this.slots.filter((slot) => slot.state === state).length;
    return { ready: count('ready'), starting: count('loading') + count('restarting'), failed: count('failed') };
  }

  /** Resolves once a worker is ready; rejects if the model cannot load (or the pool is closed). */
  whenReady(): Promise<void> {
    if (this.ready) return Promise.resolve();
    const unavailable = this.unavailable();
    if (this.closed || this.failure) return Promise.reject(unavailable);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  async embedQuery(text: string): Promise<number[]> {
    const slot = this.readySlots().sort((a, b) => load(a, 'query') - load(b, 'query') || load(a, 'batch') - load(b, 'batch'))[0];
    if (!slot) throw this.unavailable();
    const vectors = await new Promise<Float32Array>((resolve, reject) => this.send(slot, 'query', [text], { lane: 'query', texts: 1, resolve, reject }));
    return Array.from(vectors);
  }

  async embedBatch(texts: readonly string[]): Promise<number[][]> {
    if (texts.length === 0) return [];
    if (!this.ready) throw this.unavailable();
    const call: BatchCall = { failed: false };
    const chunks: Promise<Float32Array>[] = [];
    for (let start = 0; start < texts.length; start += BATCH_CHUNK) {
      const chunk = texts.slice(start, start + BATCH_CHUNK);
      const done = new Promise<Float32Array>((resolve, reject) => this.backlog.push({ texts: chunk, call, pending: { lane: 'batch', texts: chunk.length, resolve, reject } }));
      chunks.push(
        done.catch((err: Error) => {
          if (!call.failed) {
            call.failed = true;
            for (let i = this.backlog.length - 1; i >= 0; i--) if (this.backlog[i]!.call === call) this.backlog.splice(i, 1);
          }
          throw err;
        }),
      );
    }
    this.pump();
    const vectors: number[][] = [];
    for (const chunk of await Promise.all(chunks)) {
      for (let offset = 0; offset < chunk.length; offset += USE_LITE_DIM) vectors.push(Array.from(chunk.subarray(offset, offset + USE_LITE_DIM)));
    }
    return vectors;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.rejectWaiters();
    this.rejectBacklog();
    await Promise.all(
      this.slots.map(async (slot) => {
        const worker = slot.worker;
        slot.worker = null;
        slot.state = 'closed';
        this.rejectPending(slot);
        if (worker) await stopWorker(worker);
      }),
    );
  }

  private readySlots(): Slot[] {
    return this.slots.filter((slot) => slot.state === 'ready');
  }

  private unavailable(): EmbeddingsUnavailable {
    if (this.closed) return new EmbeddingsUnavailable('the local embedding model is closed');
    if (this.failure) return new EmbeddingsUnavailable(`the local embedding model failed to load: ${this.failure}`);
    return new EmbeddingsUnavailable('the local embedding model is still loading');
  }

  private send(slot: Slot, lane: Lane, texts: string[], pending: Pending): void {
    const id = this.nextId++;
    slot.pending.set(id, pending);
    slot.worker!.postMessage({ kind: 'embed', id, lane, texts } satisfies ToWorker);
  }

  /** Hands queued chunks to ready workers that have no background job. */
  private pump(): void {
    for (const slot of this.readySlots()) {
      if (this.backlog.length === 0) return;
      if (load(slot, 'batch') > 0) continue;
      const chunk = this.backlog.shift()!;
      this.send(slot, 'batch', chunk.texts, chunk.pending);
    }
  }

  private spawn(slot: Slot): void {
    const worker = spawnWorker();
    slot.worker = worker;
    slot.state = 'loading';
    worker.on('message', (message: FromWorker) => this.receive(slot, message));
    worker.on('error', (err) => this.logger?.error({ err, worker: slot.index }, 'embedding worker error'));
    worker.on('exit', (code) => {
      if (slot.worker !== worker) return;
      slot.worker = null;
      this.rejectPending(slot);
      if (this.closed) return;
      if (slot.state === 'loading') return this.loadFailed(slot, `the worker exited with code ${code} while loading`);
      if (slot.state === 'failed') return;
      slot.state = 'restarting';
      const delay = Math.min(RESPAWN_FIRST_MS * 2 ** slot.crashes++, RESPAWN_MAX_MS);
      this.logger?.error({ worker: slot.index, code, respawnInMs: delay }, 'embedding worker stopped: starting a new one');
      if (!this.ready) this.rejectBacklog();
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (!this.closed) this.spawn(slot);
      }, delay);
      this.timers.add(timer);
    });
  }

  private receive(slot: Slot, message: FromWorker): void {
    switch (message.kind) {
      case 'ready': {
        slot.state = 'ready';
        this.spawnNextLoader(slot);
        this.logger?.info({ worker: slot.index, loadMs: message.loadMs }, 'embedding model loaded');
        for (const waiter of this.waiters.splice(0)) waiter.resolve();
        this.pump();
        return;
      }
      case 'failed':
        this.loadFailed(slot, message.message);
        if (slot.worker) void stopWorker(slot.worker);
        return;
      case 'done':
      case 'error': {
        const pending = slot.pending.get(message.id);
        if (!pending) return;
        slot.pending.delete(message.id);
        if (message.kind === 'done') {
          slot.crashes = 0;
          pending.resolve(message.vectors);
        } else {
          pending.reject(new EmbeddingsUnavailable(`the local embedding model failed: ${message.message}`));
        }
        this.pump();
        return;
      }
    }
  }

  private loadFailed(slot: Slot, reason: string): void {
    slot.state = 'failed';
    this.spawnNextLoader(slot);
    this.logger?.error({ worker: slot.index, reason }, 'the local embedding model did not load');
    if (this.slots.every((s) => s.state === 'failed')) {
      this.failure = reason;
      this.rejectWaiters();
      this.rejectBacklog();
    }
  }

  private rejectPending(slot: Slot): void {
    const err = this.closed ? this.unavailable() : new EmbeddingsUnavailable('a worker of the local embedding model stopped');
    for (const pending of slot.pending.values()) pending.reject(err);
    slot.pending.clear();
  }

  private rejectWaiters(): void {
    const err = this.unavailable();
    for (const waiter of this.waiters.splice(0)) waiter.reject(err);
  }

  /** Queued chunks that no worker can take now fail rather than hang: the caller retries later. */
  private rejectBacklog(): void {
    const err = this.unavailable();
    for (const chunk of this.backlog.splice(0)) chunk.pending.reject(err);
  }
}

/** A worker stops within this long (it finishes the model run in progress, ~1–30 ms), or is terminated. */
const STOP_TIMEOUT_MS = 10_000;

/**
 * Asks a worker to end between model runs and waits for it: terminate() in the middle of ONNX
 * Runtime's native run aborts the whole process (protocol.ts). terminate() only if it does not end.
 */
async function stopWorker(worker: Worker): Promise<void> {
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.postMessage({ kind: 'stop' } satisfies ToWorker);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), STOP_TIMEOUT_MS)));
  const outcome = await Promise.race([exited, late]);
  clearTimeout(timer);
  if (outcome === 'late') await worker.terminate();
}

function load(slot: Slot, lane: Lane): number {
  let texts = 0;
  for (const pending of slot.pending.values()) if (pending.lane === lane) texts += pending.texts;
  return texts;
}
