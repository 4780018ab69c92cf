/**
 * The names of the HTTP headers clients read, in one place: the GraphQL and MCP endpoints write
 * them, the CORS configuration exposes them to browsers, and the SDK reads them. Lower case, as
 * Node and the Fetch API hand header names over.
 */

export const REQUEST_ID_HEADER = 'x-request-id';
/** A user's key, as an alternative to `Authorization: Bearer <key>`. */
export const API_KEY_HEADER = 'x-api-key';
/** The user's per-minute budget. */
export const RATE_LIMIT_LIMIT_HEADER = 'x-ratelimit-limit';
/** Units left in the current window after this request. */
export const RATE_LIMIT_REMAINING_HEADER = 'x-ratelimit-remaining';
/** Integer Unix seconds when the current window ends. */
export const RATE_LIMIT_RESET_HEADER = 'x-ratelimit-reset';
/** Seconds until a refused request may be retried. */
export const RETRY_AFTER_HEADER = 'retry-after';

/** What a browser page may read from a cross-origin response. */
export const EXPOSED_HEADERS = [REQUEST_ID_HEADER, RATE_LIMIT_LIMIT_HEADER, RATE_LIMIT_REMAINING_HEADER, RATE_LIMIT_RESET_HEADER, RETRY_AFTER_HEADER];

/** The rate-limit headers of a response, from the window the request was counted in. */
export function rateLimitHeaders(window: { limit: number; remaining: number; resetAt: Date }): [string, string][] {
  return [
    [RATE_LIMIT_LIMIT_HEADER, String(window.limit)],
    [RATE_LIMIT_REMAINING_HEADER, String(window.remaining)],
    [RATE_LIMIT_RESET_HEADER, String(Math.floor(window.resetAt.getTime() / 1000))],
  ];
}

type HeaderBag = Record<string, string | string[] | undefined>;

/** The key from `Authorization: Bearer <key>` or `X-API-Key: <key>`; '' when a header is present but empty or not Bearer. */
export function presentedKey(headers: HeaderBag): string | undefined {
  const authorization = headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match ? match[1]! : '';
  }
  const apiKey = headers[API_KEY_HEADER];
  if (typeof apiKey === 'string') return apiKey.trim();
  return undefined;
}
