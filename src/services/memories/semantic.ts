import type { Logger } from 'pino';
import type { EmbeddingsMode } from '../../config.js';
import type { EmbeddingModel } from '../../embeddings/model.js';
import { WarningCode, type Warn } from '../warnings.js';

/**
 * What semantic matching this deployment can do (docs/recall.md): store and search vectors
 * (pgvector present, EMBEDDINGS not `off`), and compute them (a model: the built-in one or the
 * EMBEDDINGS_URL endpoint). A store never computes a vector: it keeps a vector the client sent and
 * leaves the rest to the embedding worker. A recall computes its query's vector on the spot; when
 * that cannot be done, the recall goes on lexically and says so in a warning.
 */

/** The longest a recall waits for its query's vector before answering lexically. */
export const QUERY_EMBEDDING_TIMEOUT_MS = 3_000;

export class SemanticSearch {
  constructor(
    readonly mode: EmbeddingsMode,
    /** Vectors are stored and searched: pgvector is present and the mode is not `off`. */
    readonly vectors: boolean,
    /** Every vector's dimension (the model's). */
    readonly dim: number,
    readonly model: EmbeddingModel | null,
    private readonly logger: Logger,
  ) {}

  /** Memories without a vector can be embedded (the embedding worker runs). */
  get canEmbed(): boolean {
    return this.vectors && this.model !== null;
  }

  private unavailable(warn: Warn): void {
    warn({
      code: WarningCode.VECTOR_SEARCH_UNAVAILABLE,
      message:
        this.mode === 'off'
          ? 'Semantic recall is off on this deployment (EMBEDDINGS=off): the embedding was ignored and matching is lexical only'
          : 'This deployment has no vector search (pgvector is not installed): the embedding was ignored and matching is lexical only',
    });
  }

  /** The vectors a store keeps: those the client sent, when vectors are on (else null, with a warning). */
  givenVectors(given: readonly (number[] | null)[], warn: Warn): (number[] | null)[] {
    if (this.vectors) return [...given];
    if (given.some((v) => v !== null)) this.unavailable(warn);
    return given.map(() => null);
  }

  /** A recall's query vector: the one given, else the model's, else null (with a warning when something failed). */
  async queryVector(text: string, given: number[] | null, warn: Warn): Promise<number[] | null> {
    if (!this.vectors) {
      if (given !== null) this.unavailable(warn);
      return null;
    }
    if (given !== null || this.model === null) return given;
    try {
      // The endpoint has its own deadline (PROVIDER_TIMEOUT_MS); the built-in model gets this one.
      const vector = this.model.embedQuery(text);
      return await (this.mode === 'local' ? withTimeout(vector, QUERY_EMBEDDING_TIMEOUT_MS) : vector);
    } catch (err) {
      this.logger.warn({ err }, 'query embedding unavailable: recalling lexically');
      warn({
        code: WarningCode.EMBEDDINGS_UNAVAILABLE,
        message: 'The embedding model did not answer: this recall matched words only (stored memories are embedded later)',
      });
      return null;
    }
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no vector within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
