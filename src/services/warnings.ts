/**
 * Something a request did not do fully although it succeeded (e.g. semantic matching skipped).
 * Services report these through a `Warn` callback; the GraphQL layer answers them in
 * `extensions.warnings` of the response.
 */
export enum WarningCode {
  /** pgvector is not installed: a given embedding was ignored and recall is full-text only. */
  VECTOR_SEARCH_UNAVAILABLE = 'VECTOR_SEARCH_UNAVAILABLE',
  /** The embeddings API failed: this request ran without semantic matching. */
  EMBEDDINGS_UNAVAILABLE = 'EMBEDDINGS_UNAVAILABLE',
}

export interface ResponseWarning {
  code: WarningCode;
  message: string;
}

export type Warn = (warning: ResponseWarning) => void;
