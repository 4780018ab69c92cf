import { describe, expect, it } from 'vitest';
import {
  BadUserInputError,
  EmailTakenError,
  ForbiddenError,
  InternalServerError,
  MeDocument,
  NotFoundError,
  PaymentFailedError,
  ProviderError,
  ProviderNotConfiguredError,
  QuotaExceededError,
  RateLimitedError,
  StellarError,
  TransportError,
  UnauthenticatedError,
  createClient,
} from '../../sdk/index.js';

/** A fetch that answers every request with one GraphQL error carrying `extensions`. */
function answering(extensions: Record<string, unknown>, status = 200): typeof fetch {
  return async () => new Response(JSON.stringify({ data: null, errors: [{ message: `failed: ${String(extensions.code)}`, path: ['me'], extensions }] }), { status });
}

async function errorFor(extensions: Record<string, unknown>, status = 200): Promise<unknown> {
  return createClient({ url: 'http://sdk.test/graphql', fetch: answering(extensions, status) })
    .request(MeDocument)
    .catch((error: unknown) => error);
}

describe('SDK error mapping (docs/api.md codes to typed errors)', () => {
  it.each([
    ['UNAUTHENTICATED', UnauthenticatedError],
    ['FORBIDDEN', ForbiddenError],
    ['BAD_USER_INPUT', BadUserInputError],
    ['EMAIL_TAKEN', EmailTakenError],
    ['NOT_FOUND', NotFoundError],
    ['RATE_LIMITED', RateLimitedError],
    ['QUOTA_EXCEEDED', QuotaExceededError],
    ['PROVIDER_NOT_CONFIGURED', ProviderNotConfiguredError],
    ['PROVIDER_ERROR', ProviderError],
    ['PAYMENT_FAILED', PaymentFailedError],
    ['INTERNAL_SERVER_ERROR', InternalServerError],
  ])('%s becomes %o, a StellarError with the code, message, path and status', async (code, ErrorClass) => {
    const error = (await errorFor({ code }, 200)) as StellarError;
    expect(error).toBeInstanceOf(ErrorClass);
    expect(error).toBeInstanceOf(StellarError);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe(code);
    expect(error.name).toBe(ErrorClass.name);
    expect(error.message).toBe(`failed: ${code}`);
    expect(error.path).toEqual(['me']);
    expect(error.status).toBe(200);
  });

  it('RateLimitedError exposes retryAfterSeconds, limit and resetAt, and keeps the 429 status', async () => {
    const resetAt = '2026-11-22T07:00:00.000Z';
    const error = (await errorFor({ code: 'RATE_LIMITED', retryAfterSeconds: 17, limit: 60, resetAt }, 429)) as RateLimitedError;
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error.retryAfterSeconds).toBe(17);
    expect(error.limit).toBe(60);
    expect(error.resetAt.toISOString()).toBe(resetAt);
    expect(error.status).toBe(429);
  });

  it('QuotaExceededError exposes resource, limit, used and upgradeTier', async () => {
    const error = (await errorFor({ code: 'QUOTA_EXCEEDED', resource: 'MEMORIES', limit: 5000, used: 5000, upgradeTier: 'PRO' })) as QuotaExceededError;
    expect([error.resource, error.limit, error.used, error.upgradeTier]).toEqual(['MEMORIES', 5000, 5000, 'PRO']);
    const atTop = (await errorFor({ code: 'QUOTA_EXCEEDED', resource: 'AGENTS', limit: 20, used: 20 })) as QuotaExceededError;
    expect(atTop.upgradeTier).toBeNull();
  });

  it('the other errors expose their extensions: requiredTier, field, provider, reason', async () => {
    expect(((await errorFor({ code: 'FORBIDDEN', requiredTier: 'PRO' })) as ForbiddenError).requiredTier).toBe('PRO');
    expect(((await errorFor({ code: 'BAD_USER_INPUT', field: 'email' })) as BadUserInputError).field).toBe('email');
    expect(((await errorFor({ code: 'PROVIDER_NOT_CONFIGURED', provider: 'STRIPE' })) as ProviderNotConfiguredError).provider).toBe('STRIPE');
    expect(((await errorFor({ code: 'PROVIDER_ERROR', provider: 'LEMON_SQUEEZY' })) as ProviderError).provider).toBe('LEMON_SQUEEZY');
    const declined = (await errorFor({ code: 'PAYMENT_FAILED', provider: 'TOSS', reason: 'REJECT_CARD_PAYMENT' })) as PaymentFailedError;
    expect([declined.provider, declined.reason]).toEqual(['TOSS', 'REJECT_CARD_PAYMENT']);
  });

  it('an unknown code stays a plain StellarError with that code; a missing code reads as INTERNAL_SERVER_ERROR', async () => {
    const unknown = (await errorFor({ code: 'SOMETHING_NEW' })) as StellarError;
    expect(unknown.constructor).toBe(StellarError);
    expect(unknown.code).toBe('SOMETHING_NEW');
    const bare = (await errorFor({})) as StellarError;
    expect(bare.constructor).toBe(StellarError);
    expect(bare.code).toBe('INTERNAL_SERVER_ERROR');
  });

  it('the first error of several is the one thrown', async () => {
    const client = createClient({
      url: 'http://sdk.test/graphql',
      fetch: async () => new Response(JSON.stringify({ errors: [{ message: 'no key', extensions: { code: 'UNAUTHENTICATED' } }, { message: 'second', extensions: { code: 'NOT_FOUND' } }] })),
    });
    await expect(client.request(MeDocument)).rejects.toBeInstanceOf(UnauthenticatedError);
  });

  it('a response that is not GraphQL JSON (a proxy page, a 413) is a TransportError with the status and the start of the body', async () => {
    const client = createClient({ url: 'http://sdk.test/graphql', fetch: async () => new Response('<html>Bad gateway</html>', { status: 502 }) });
    const error = (await client.request(MeDocument).catch((e: unknown) => e)) as TransportError;
    expect(error).toBeInstanceOf(TransportError);
    expect(error).not.toBeInstanceOf(StellarError);
    expect(error.status).toBe(502);
    expect(error.body).toContain('Bad gateway');
  });

  it('an answer with neither data nor errors is a TransportError, not a silent null', async () => {
    const client = createClient({ url: 'http://sdk.test/graphql', fetch: async () => new Response('{}', { status: 200 }) });
    await expect(client.request(MeDocument)).rejects.toBeInstanceOf(TransportError);
  });

  it('raw() returns GraphQL errors instead of throwing them', async () => {
    const client = createClient({ url: 'http://sdk.test/graphql', fetch: answering({ code: 'UNAUTHENTICATED' }) });
    const response = await client.raw(MeDocument);
    expect(response.data).toBeNull();
    expect(response.errors[0]!.extensions!.code).toBe('UNAUTHENTICATED');
  });
});
