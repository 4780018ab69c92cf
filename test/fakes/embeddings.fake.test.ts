import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cosineSimilarity, embedText, startFakeEmbeddings, type FakeEmbeddings } from './embeddings.js';

const DIM = 256;
const API_KEY = 'sk-embed-test';

interface EmbeddingList {
  object: string;
  data: Array<{ object: string; index: number; embedding: number[] | string }>;
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

let fake: FakeEmbeddings;

beforeAll(async () => {
  fake = await startFakeEmbeddings({ dim: DIM, apiKey: API_KEY });
});

afterAll(() => fake.close());

beforeEach(() => fake.reset());

async function embed(body: unknown, key = API_KEY) {
  const response = await fetch(`${fake.baseUrl}/embeddings`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as EmbeddingList & { error?: { code: string | null } } };
}

const norm = (v: number[]) => Math.hypot(...v);

describe('embedText', () => {
  it('is deterministic and unit length', () => {
    const a = embedText('I parked my car near the office', DIM);
    expect(embedText('I parked my car near the office', DIM)).toEqual(a);
    expect(a).toHaveLength(DIM);
    expect(norm(a)).toBeCloseTo(1, 10);
    expect(norm(embedText('!!!', DIM))).toBeCloseTo(1, 10);
    expect(norm(embedText('the', 8))).toBeCloseTo(1, 10);
  });

  it('puts a paraphrase with no shared word closer than unrelated text', () => {
    const query = embedText('the automobile was quick', DIM);
    const paraphrase = cosineSimilarity(query, embedText('a fast car', DIM));
    const unrelated = cosineSimilarity(query, embedText('my physician bought a huge house', DIM));
    expect(paraphrase).toBeGreaterThan(0.9);
    expect(paraphrase).toBeGreaterThan(unrelated + 0.5);
  });

  it('maps inflections and many synonym groups', () => {
    const pairs: Array<[string, string]> = [
      ['she was joyful', 'he is glad'],
      ['we purchased tickets', 'they buy tickets'],
      ['commence the meeting', 'start the conference'],
      ['old memories', 'I recall'],
      ['tiny kitten', 'little cat'],
    ];
    for (const [a, b] of pairs) {
      expect(cosineSimilarity(embedText(a, DIM), embedText(b, DIM)), `${a} ~ ${b}`).toBeGreaterThan(0.6);
    }
  });
});

describe('fake embeddings API', () => {
  it('answers in the OpenAI shape, embedding exactly like embedText', async () => {
    const { status, body } = await embed({ input: 'a fast car', model: 'text-embedding-3-small' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ object: 'list', model: 'text-embedding-3-small', usage: { prompt_tokens: 3, total_tokens: 3 } });
    expect(body.data).toEqual([{ object: 'embedding', index: 0, embedding: embedText('a fast car', DIM) }]);
  });

  it('embeds a batch in order and records batch sizes', async () => {
    const texts = ['first memory', 'second memory', 'third memory'];
    const { body } = await embed({ input: texts, model: 'm' });
    expect(body.data.map((d) => d.index)).toEqual([0, 1, 2]);
    expect(body.data.map((d) => d.embedding)).toEqual(texts.map((t) => embedText(t, DIM)));
    await embed({ input: 'one', model: 'm' });
    expect(fake.batchSizes()).toEqual([3, 1]);
    expect(fake.lastRequest('POST', '/v1/embeddings')?.body).toEqual({ input: 'one', model: 'm' });
  });

  it('returns vectors of another size in wrong-dimension mode until reset', async () => {
    fake.setDimension(12);
    const { body } = await embed({ input: ['x', 'y'], model: 'm' });
    expect(body.data.map((d) => (d.embedding as number[]).length)).toEqual([12, 12]);
    fake.reset();
    expect(((await embed({ input: 'x', model: 'm' })).body.data[0]?.embedding as number[]).length).toBe(DIM);
  });

  it('supports base64 float32 encoding like the OpenAI API', async () => {
    const { body } = await embed({ input: 'a fast car', model: 'm', encoding_format: 'base64' });
    const bytes = Buffer.from(body.data[0]?.embedding as string, 'base64');
    const floats = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4));
    const expected = embedText('a fast car', DIM);
    floats.forEach((value, i) => expect(value).toBeCloseTo(expected[i] as number, 6));
  });

  it('rejects a wrong key, a missing model and empty input with OpenAI errors', async () => {
    expect((await embed({ input: 'x', model: 'm' }, 'sk-wrong')).status).toBe(401);
    expect((await embed({ input: 'x', model: 'm' }, 'sk-wrong')).body.error?.code).toBe('invalid_api_key');
    expect((await embed({ input: 'x' })).status).toBe(400);
    expect((await embed({ input: ['ok', ''], model: 'm' })).status).toBe(400);
  });

  it('fails and stalls on demand', async () => {
    fake.fail('error500', { times: 1 });
    const failed = await embed({ input: 'x', model: 'm' });
    expect(failed.status).toBe(500);
    expect(failed.body).toMatchObject({ error: { type: 'server_error' } });

    fake.fail('stall');
    const stalled = fetch(`${fake.baseUrl}/embeddings`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${API_KEY}` },
      body: JSON.stringify({ input: 'x', model: 'm' }),
      signal: AbortSignal.timeout(200),
    });
    await expect(stalled).rejects.toThrow();
    fake.fail('ok');
    expect((await embed({ input: 'x', model: 'm' })).status).toBe(200);
  });

  it('close() ends stalled requests', async () => {
    const local = await startFakeEmbeddings({ dim: 4 });
    local.fail('stall');
    const pending = fetch(`${local.baseUrl}/embeddings`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ input: 'x', model: 'm' }),
    });
    await expect.poll(() => local.requests.length).toBe(1);
    await local.close();
    await expect(pending).rejects.toThrow();
  });
});
