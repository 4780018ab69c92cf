import type { Logger } from 'pino';
import type { Provider } from '../entities/enums.js';
import { providerError } from '../errors.js';

/**
 * The small JSON-over-HTTP client behind the Lemon Squeezy and TossPayments providers: a base URL,
 * a timeout on the whole exchange (PROVIDER_TIMEOUT_MS), and every transport failure, timeout or
 * 5xx turned into PROVIDER_ERROR. 4xx answers are returned for the provider to interpret.
 */

export interface JsonResponse {
  status: number;
  body: unknown;
}

export interface ProviderHttpOptions {
  provider: Provider;
  baseUrl: string;
  timeoutMs: number;
  headers: Record<string, string>;
  logger: Logger;
}

export class ProviderHttp {
  constructor(private readonly options: ProviderHttpOptions) {}

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<JsonResponse> {
    const { provider, baseUrl, timeoutMs, logger } = this.options;
    const started = Date.now();
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: { ...this.options.headers, ...headers },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (err) {
      const timedOut = (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError';
      logger.warn({ provider, method, path: pathOnly(path), ms: Date.now() - started, err }, timedOut ? 'payment provider timed out' : 'payment provider unreachable');
      throw providerError(provider);
    }
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (response.status >= 500 || (response.status < 400 && parsed === undefined && text !== '')) {
      logger.warn({ provider, method, path: pathOnly(path), status: response.status }, 'payment provider failed');
      throw providerError(provider);
    }
    return { status: response.status, body: parsed };
  }

  /** A 2xx body, or PROVIDER_ERROR (logged with the provider's own error text). */
  async expectOk(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<unknown> {
    const response = await this.request(method, path, body, headers);
    if (response.status >= 200 && response.status < 300) return response.body;
    this.options.logger.warn(
      { provider: this.options.provider, method, path: pathOnly(path), status: response.status, answer: summarize(response.body) },
      'payment provider refused the request',
    );
    throw providerError(this.options.provider);
  }
}

/** Paths can carry billing keys (Toss): only the first two segments are logged. */
const pathOnly = (path: string) => path.split('?')[0]!.split('/').slice(0, 3).join('/');

const summarize = (body: unknown) => JSON.stringify(body ?? null).slice(0, 300);

/** Reads a nested property of an untyped JSON value. */
export function pick(value: unknown, ...path: (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

export const asString = (value: unknown): string | null =>
  typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : null;

export function asDate(value: unknown): Date | null {
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  const date = typeof value === 'number' ? new Date(value * 1000) : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}
