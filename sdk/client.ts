import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type DocumentNode } from 'graphql';
import { RATE_LIMIT_LIMIT_HEADER, RATE_LIMIT_REMAINING_HEADER, RATE_LIMIT_RESET_HEADER } from '../src/http/headers.js';
import { StellarError, TransportError, type GraphQLErrorShape } from './errors.js';

/**
 * The Stellar Memory client: typed documents from sdk/generated in, typed results out, error
 * codes turned into typed errors (sdk/errors.ts).
 *
 *   const client = createClient({ url: 'http://localhost:8080/graphql', apiKey });
 *   const { storeMemory } = await client.request(StoreMemoryDocument, { input: { content: 'likes tea' } });
 */

export interface ClientOptions {
  /** The GraphQL endpoint, e.g. https://api.example.com/graphql */
  url: string;
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  fetch?: typeof globalThis.fetch;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
}

export interface RawResponse<T> {
  status: number;
  headers: Headers;
  data: T | null;
  errors: GraphQLErrorShape[];
  /** The response's `extensions`, e.g. `warnings` when semantic matching was skipped. */
  extensions: Record<string, unknown>;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface RateLimitInfo {
  limit: number;
  remaining: number;
  /** When the current window ends. */
  reset: Date;
}

export interface StellarClient {
  /** Runs an operation; throws the typed error of the first GraphQL error. */
  request<T, V extends Record<string, unknown>>(document: TypedDocumentNode<T, V>, ...args: OptionalVariables<V>): Promise<T>;
  /** Runs an operation and returns status, headers, data and errors without throwing on GraphQL errors. */
  raw<T, V extends Record<string, unknown>>(document: TypedDocumentNode<T, V> | string, variables?: V, options?: RequestOptions): Promise<RawResponse<T>>;
  /** The rate-limit headers of the last response, when it had them. */
  readonly rateLimit: RateLimitInfo | null;
  /** A client for the same endpoint with another key. */
  withApiKey(apiKey: string | undefined): StellarClient;
}

type OptionalVariables<V> = Record<string, never> extends V ? [variables?: V, options?: RequestOptions] : [variables: V, options?: RequestOptions];

const documentText = new WeakMap<DocumentNode, string>();
function textOf(document: DocumentNode | string): string {
  if (typeof document === 'string') return document;
  let text = documentText.get(document);
  if (!text) documentText.set(document, (text = print(document)));
  return text;
}

export function createClient(options: ClientOptions): StellarClient {
  const doFetch = options.fetch ?? globalThis.fetch;
  let rateLimit: RateLimitInfo | null = null;

  async function raw<T>(document: DocumentNode | string, variables?: Record<string, unknown>, requestOptions: RequestOptions = {}): Promise<RawResponse<T>> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', ...options.headers, ...requestOptions.headers };
    if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
    const response = await doFetch(options.url, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query: textOf(document), variables: variables ?? {} }),
      signal: requestOptions.signal,
    });
    const limit = response.headers.get(RATE_LIMIT_LIMIT_HEADER);
    if (limit !== null) {
      rateLimit = {
        limit: Number(limit),
        remaining: Number(response.headers.get(RATE_LIMIT_REMAINING_HEADER)),
        reset: new Date(Number(response.headers.get(RATE_LIMIT_RESET_HEADER)) * 1000),
      };
    }
    const text = await response.text();
    let body: { data?: T | null; errors?: GraphQLErrorShape[]; extensions?: Record<string, unknown> };
    try {
      body = JSON.parse(text);
    } catch {
      throw new TransportError(`Unexpected non-JSON response (HTTP ${response.status})`, response.status, text.slice(0, 500));
    }
    return { status: response.status, headers: response.headers, data: body.data ?? null, errors: body.errors ?? [], extensions: body.extensions ?? {} };
  }

  const client: StellarClient = {
    async request<T, V extends Record<string, unknown>>(document: TypedDocumentNode<T, V>, ...args: OptionalVariables<V>): Promise<T> {
      const [variables, requestOptions] = args as [V | undefined, RequestOptions | undefined];
      const result = await raw<T>(document, variables, requestOptions);
      if (result.errors.length > 0) throw StellarError.from(result.errors[0]!, result.status);
      if (result.data === null) throw new TransportError(`Empty GraphQL response (HTTP ${result.status})`, result.status, '');
      return result.data;
    },
    raw: (document, variables, requestOptions) => raw(document, variables, requestOptions),
    get rateLimit() {
      return rateLimit;
    },
    withApiKey: (apiKey) => createClient({ ...options, apiKey }),
  };
  return client;
}
