import type { EmbeddingsConfig } from '../config.js';
import { EmbeddingsUnavailable, type EmbeddingModel } from './model.js';

export { EmbeddingsUnavailable };

/**
 * The OpenAI-compatible embeddings API behind EMBEDDINGS_URL (`POST <url>/embeddings`). Every call
 * has the PROVIDER_TIMEOUT_MS deadline; any failure, including vectors of the wrong dimension, is an
 * `EmbeddingsUnavailable` that callers turn into lexical-only work and a warning, never a lost store.
 */

/** Inputs per API call; a `storeMemories` batch (at most 100) is one call. */
export const EMBEDDINGS_BATCH = 100;

interface EmbeddingsResponse {
  data?: { index?: number; embedding?: unknown }[];
}

export class Embeddings implements EmbeddingModel {
  constructor(
    private readonly config: EmbeddingsConfig,
    readonly dim: number,
    private readonly timeoutMs: number,
  ) {}

  get name(): string {
    return this.config.model;
  }

  async embedQuery(text: string): Promise<number[]> {
    return (await this.request([text]))[0]!;
  }

  /** One vector per text, in order. */
  async embedBatch(texts: readonly string[]): Promise<number[][]> {
    const vectors: number[][] = [];
    for (let start = 0; start < texts.length; start += EMBEDDINGS_BATCH) {
      vectors.push(...(await this.request(texts.slice(start, start + EMBEDDINGS_BATCH))));
    }
    return vectors;
  }

  /** Nothing to release: each call is one HTTP request. */
  async close(): Promise<void> {}

  private async request(texts: readonly string[]): Promise<number[][]> {
    let body: EmbeddingsResponse;
    try {
      const response = await fetch(`${this.config.url}/embeddings`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(this.config.apiKey ? { authorization: `Bearer ${this.config.apiKey}` } : {}),
        },
        body: JSON.stringify({ model: this.config.model, input: texts, encoding_format: 'float' }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (!response.ok) throw new EmbeddingsUnavailable(`the embeddings API answered HTTP ${response.status}`);
      body = (await response.json()) as EmbeddingsResponse;
    } catch (err) {
      if (err instanceof EmbeddingsUnavailable) throw err;
      const reason = (err as Error).name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : (err as Error).message;
      throw new EmbeddingsUnavailable(`the embeddings API failed: ${reason}`);
    }
    const data = body.data ?? [];
    if (data.length !== texts.length) throw new EmbeddingsUnavailable(`the embeddings API returned ${data.length} vectors for ${texts.length} inputs`);
    const ordered = [...data].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
    return ordered.map(({ embedding }) => {
      if (!Array.isArray(embedding) || !embedding.every((x) => typeof x === 'number' && Number.isFinite(x))) {
        throw new EmbeddingsUnavailable('the embeddings API returned something that is not a vector');
      }
      if (embedding.length !== this.dim) {
        throw new EmbeddingsUnavailable(`the embeddings API returned ${embedding.length} dimensions but EMBEDDINGS_DIM is ${this.dim}`);
      }
      return embedding as number[];
    });
  }
}
