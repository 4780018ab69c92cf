import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalEmbeddings } from '../../src/embeddings/local.js';
import { conversationTurns, cosine, maxAbsDiff } from './helpers.js';

/** The built-in model as the server runs it: two worker threads behind the two lanes. */

const model = LocalEmbeddings.start({ workers: 2 });
beforeAll(() => model.whenReady());
afterAll(() => model.close());

describe('the local embedding model (worker threads)', () => {
  it('names its vectors and gives unit vectors of 512 dimensions from both lanes', async () => {
    expect(model.name).toBe('universal-sentence-encoder-lite');
    expect(model.dim).toBe(512);
    const query = await model.embedQuery('How should I contact Dana?');
    const batch = await model.embedBatch(['Dana prefers to be contacted by email, not phone.', 'ok', '']);
    for (const vector of [query, ...batch]) {
      expect(vector).toHaveLength(512);
      expect(vector.every(Number.isFinite)).toBe(true);
      expect(Math.hypot(...vector)).toBeCloseTo(1, 5);
    }
    expect(await model.embedBatch([])).toEqual([]);
  });

  it('gives a text the same vector alone and inside a batch of other texts', async () => {
    const text = 'Caroline: I went to a LGBTQ support group yesterday and it was so powerful.';
    const others = conversationTurns(70);
    const batch = await model.embedBatch([...others.slice(0, 40), text, ...others.slice(40)]);
    const alone = await model.embedQuery(text);
    expect(maxAbsDiff(batch[40]!, alone)).toBeLessThan(1e-5);
  });

  it('puts a paraphrase closer than an unrelated sentence', async () => {
    const [fact, paraphrase, unrelated] = await model.embedBatch([
      'Dana prefers to be contacted by email, not phone.',
      'Dana would rather get an email than a call.',
      'The quarterly budget review moved to Thursday.',
    ]);
    const question = await model.embedQuery('How should I contact Dana?');
    expect(cosine(fact!, paraphrase!)).toBeGreaterThan(cosine(fact!, unrelated!) + 0.2);
    expect(cosine(question, fact!)).toBeGreaterThan(cosine(question, unrelated!) + 0.2);
  });

  it('answers many concurrent callers of both lanes each with its own vectors', async () => {
    const texts = conversationTurns(60);
    // Reference vectors one at a time, then everything at once, interleaved across lanes and workers.
    const reference: number[][] = [];
    for (const text of texts) reference.push(await model.embedQuery(text));
    const batches = [texts.slice(0, 25), texts.slice(25, 45), texts.slice(45)];
    const [concurrentBatches, concurrentQueries] = await Promise.all([
      Promise.all(batches.map((batch) => model.embedBatch(batch))),
      Promise.all(texts.map((text) => model.embedQuery(text))),
    ]);
    const fromBatches = concurrentBatches.flat();
    texts.forEach((_, i) => {
      expect(maxAbsDiff(fromBatches[i]!, reference[i]!)).toBeLessThan(1e-5);
      expect(maxAbsDiff(concurrentQueries[i]!, reference[i]!)).toBeLessThan(1e-5);
    });
    // And the texts really differ, so a mix-up could not go unnoticed.
    expect(cosine(reference[0]!, reference[1]!)).toBeLessThan(0.99);
  });

});

describe('the query lane', () => {
  // One worker: the query has to get in between the model runs of the background chunk it finds there.
  const single = LocalEmbeddings.start({ workers: 1 });
  beforeAll(() => single.whenReady());
  afterAll(() => single.close());

  it('serves a query before the background work that was running when it came', async () => {
    // One chunk of long turns: many model runs on the only worker.
    const turns = conversationTurns(32).map((turn, i) => `${turn} ${conversationTurns(40)[(i + 7) % 40]} ${conversationTurns(40)[(i + 13) % 40]}`);
    const order: string[] = [];
    const started = performance.now();
    const batch = single.embedBatch(turns).then(() => order.push('batch'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const queryStarted = performance.now();
    await single.embedQuery('What did Caroline research?').then(() => order.push('query'));
    const queryMs = performance.now() - queryStarted;
    await batch;
    const batchMs = performance.now() - started;
    expect(order).toEqual(['query', 'batch']);
    expect(queryMs).toBeLessThan(batchMs / 2);
  });
});
