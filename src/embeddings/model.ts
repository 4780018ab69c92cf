/**
 * What recall and the embedding job need from a sentence-embedding model, whichever runs it: the
 * built-in one in worker threads (src/embeddings/local.ts) or an OpenAI-compatible endpoint
 * (src/embeddings/remote.ts). See docs/embeddings.md.
 */
export interface EmbeddingModel {
  /** Identifies the vectors: two models with different names give incomparable vectors. */
  readonly name: string;
  /** Dimensions of every vector. */
  readonly dim: number;
  /** One text on a request's path (a recall's query): served before any queued background work. */
  embedQuery(text: string): Promise<number[]>;
  /** Background work (stored memories): one vector per text, in order. */
  embedBatch(texts: readonly string[]): Promise<number[][]>;
  /** Ends the model's resources (worker threads); later calls fail with EmbeddingsUnavailable. */
  close(): Promise<void>;
}

/**
 * The model cannot answer now (loading, closed, failed, endpoint down): callers go on without
 * vectors, never lose a store.
 */
export class EmbeddingsUnavailable extends Error {
  override name = 'EmbeddingsUnavailable';
}
