/**
 * Typed errors for the error codes of docs/api.md. `StellarError.from` picks the class for a GraphQL error,
 * so callers can `catch (e) { if (e instanceof RateLimitedError) sleep(e.retryAfterSeconds) }`.
 */

export interface GraphQLErrorShape {
  message: string;
  path?: readonly (string | number)[];
  extensions?: Record<string, unknown>;
}

export class StellarError extends Error {
  readonly code: string;
  readonly extensions: Record<string, unknown>;
  /** HTTP status of the response that carried the error. */
  readonly status: number;
  readonly path?: readonly (string | number)[];

  constructor(error: GraphQLErrorShape, status: number) {
    super(error.message);
    this.name = new.target.name;
    this.extensions = error.extensions ?? {};
    this.code = typeof this.extensions.code === 'string' ? this.extensions.code : 'INTERNAL_SERVER_ERROR';
    this.status = status;
    this.path = error.path;
  }

  static from(error: GraphQLErrorShape, status: number): StellarError {
    const code = error.extensions?.code;
    const ErrorClass = (typeof code === 'string' && ERROR_CLASSES[code]) || StellarError;
    return new ErrorClass(error, status);
  }
}

export class UnauthenticatedError extends StellarError {}

export class ForbiddenError extends StellarError {
  get requiredTier(): string | undefined {
    return this.extensions.requiredTier as string | undefined;
  }
}

export class BadUserInputError extends StellarError {
  get field(): string | undefined {
    return this.extensions.field as string | undefined;
  }
}

export class EmailTakenError extends StellarError {}
export class NotFoundError extends StellarError {}

export class RateLimitedError extends StellarError {
  get retryAfterSeconds(): number {
    return Number(this.extensions.retryAfterSeconds);
  }
  get limit(): number {
    return Number(this.extensions.limit);
  }
  get resetAt(): Date {
    return new Date(String(this.extensions.resetAt));
  }
}

export class QuotaExceededError extends StellarError {
  get resource(): string {
    return String(this.extensions.resource);
  }
  get limit(): number {
    return Number(this.extensions.limit);
  }
  get used(): number {
    return Number(this.extensions.used);
  }
  get upgradeTier(): string | null {
    return (this.extensions.upgradeTier as string | null) ?? null;
  }
}

export class ProviderNotConfiguredError extends StellarError {
  get provider(): string {
    return String(this.extensions.provider);
  }
}

export class ProviderError extends StellarError {
  get provider(): string {
    return String(this.extensions.provider);
  }
}

export class PaymentFailedError extends StellarError {
  get provider(): string {
    return String(this.extensions.provider);
  }
  get reason(): string {
    return String(this.extensions.reason);
  }
}

export class InternalServerError extends StellarError {}

/** A response that was not GraphQL at all (a proxy error page, a 413, a network failure). */
export class TransportError extends Error {
  constructor(message: string, readonly status: number, readonly body: string) {
    super(message);
    this.name = 'TransportError';
  }
}

const ERROR_CLASSES: Record<string, new (error: GraphQLErrorShape, status: number) => StellarError> = {
  UNAUTHENTICATED: UnauthenticatedError,
  FORBIDDEN: ForbiddenError,
  BAD_USER_INPUT: BadUserInputError,
  EMAIL_TAKEN: EmailTakenError,
  NOT_FOUND: NotFoundError,
  RATE_LIMITED: RateLimitedError,
  QUOTA_EXCEEDED: QuotaExceededError,
  PROVIDER_NOT_CONFIGURED: ProviderNotConfiguredError,
  PROVIDER_ERROR: ProviderError,
  PAYMENT_FAILED: PaymentFailedError,
  INTERNAL_SERVER_ERROR: InternalServerError,
};
