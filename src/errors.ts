import { GraphQLError } from 'graphql';
import type { Provider, QuotaResource, Tier } from './entities/enums.js';
import { RETRY_AFTER_HEADER } from './http/headers.js';

/**
 * The error codes a client can act on (docs/api.md), and the one error class services throw.
 * `AppError` is a GraphQLError so the GraphQL layer passes it through untouched; the REST layer
 * maps `code` to an HTTP status. Anything that is not an AppError is an internal error.
 */
export enum ErrorCode {
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  EMAIL_TAKEN = 'EMAIL_TAKEN',
  NOT_FOUND = 'NOT_FOUND',
  RATE_LIMITED = 'RATE_LIMITED',
  QUOTA_EXCEEDED = 'QUOTA_EXCEEDED',
  PROVIDER_NOT_CONFIGURED = 'PROVIDER_NOT_CONFIGURED',
  PROVIDER_ERROR = 'PROVIDER_ERROR',
  PAYMENT_FAILED = 'PAYMENT_FAILED',
  INTERNAL_SERVER_ERROR = 'INTERNAL_SERVER_ERROR',
}

export class AppError extends GraphQLError {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { code, ...extensions } });
    this.code = code;
    this.name = 'AppError';
  }
}

export const unauthenticated = (message = 'A valid API key is required (Authorization: Bearer <key> or X-API-Key)') =>
  new AppError(ErrorCode.UNAUTHENTICATED, message);

export const forbidden = (message: string, requiredTier?: Tier) =>
  new AppError(ErrorCode.FORBIDDEN, message, requiredTier ? { requiredTier } : {});

export const billingDisabled = () => forbidden('billing is disabled');

export const badInput = (field: string, message: string) => new AppError(ErrorCode.BAD_USER_INPUT, message, { field });

export const notFound = (what: string) => new AppError(ErrorCode.NOT_FOUND, `${what} not found`);

export const emailTaken = () => new AppError(ErrorCode.EMAIL_TAKEN, 'An account with this email already exists');

export function rateLimited(limit: number, resetAt: Date, now = Date.now()) {
  const retryAfterSeconds = Math.max(1, Math.ceil((resetAt.getTime() - now) / 1000));
  return new AppError(ErrorCode.RATE_LIMITED, `Rate limit of ${limit} requests a minute reached; retry in ${retryAfterSeconds}s`, {
    retryAfterSeconds,
    limit,
    resetAt: resetAt.toISOString(),
    http: { status: 429, headers: new Map([[RETRY_AFTER_HEADER, String(retryAfterSeconds)]]) },
  });
}

export interface QuotaDetails {
  resource: QuotaResource;
  limit: number;
  used: number;
  upgradeTier: Tier | null;
  message: string;
}

export const quotaExceeded = ({ message, ...details }: QuotaDetails) =>
  new AppError(ErrorCode.QUOTA_EXCEEDED, message, { ...details });

export const providerNotConfigured = (provider: Provider) =>
  new AppError(ErrorCode.PROVIDER_NOT_CONFIGURED, `Payment provider ${provider} is not configured`, { provider });

export const providerError = (provider: Provider, message = `Payment provider ${provider} did not answer; please retry`) =>
  new AppError(ErrorCode.PROVIDER_ERROR, message, { provider });

export const paymentFailed = (provider: Provider, reason: string) =>
  new AppError(ErrorCode.PAYMENT_FAILED, `The payment was declined: ${reason}`, { provider, reason });

export const INTERNAL_ERROR_MESSAGE = 'Internal server error';

export const internalError = (message = INTERNAL_ERROR_MESSAGE) => new AppError(ErrorCode.INTERNAL_SERVER_ERROR, message);

/**
 * What a client is told of an error, whichever endpoint answers: an AppError's message, code and
 * extensions (its HTTP hints apart); anything else is an INTERNAL_SERVER_ERROR whose message only
 * a development server shows.
 */
export function clientError(err: unknown, isProduction: boolean): { message: string; extensions: Record<string, unknown> } {
  if (err instanceof AppError) {
    const { http: _http, ...extensions } = err.extensions;
    return { message: err.message, extensions: { ...extensions, code: err.code } };
  }
  return { message: isProduction || !(err instanceof Error) ? INTERNAL_ERROR_MESSAGE : err.message, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
}

/** The server's fault rather than the client's: logged, with its stack. */
export const isUnexpected = (err: unknown) => !(err instanceof AppError) || err.code === ErrorCode.INTERNAL_SERVER_ERROR;

/** The HTTP headers an AppError asks its response to carry (Retry-After of RATE_LIMITED). */
export const responseHeadersOf = (err: unknown): Map<string, string> =>
  (err instanceof AppError ? (err.extensions.http as { headers?: Map<string, string> } | undefined)?.headers : undefined) ?? new Map();
