import { DriverException } from '@mikro-orm/core';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { Config } from './config.js';
import { API_KEY_HEADER } from './http/headers.js';

/**
 * Paths pino blanks wherever they occur in a log object. Nothing logs these on purpose; this is
 * the second line of defence for keys, secrets, card data and webhook signatures (docs/operations.md).
 */
const REDACT = [
  'req.headers.authorization',
  `req.headers["${API_KEY_HEADER}"]`,
  'req.headers.cookie',
  'req.headers["stripe-signature"]',
  'req.headers["x-signature"]',
  'req.headers["tosspayments-webhook-signature"]',
  'req.headers["x-demo-signature"]',
  'headers.authorization',
  `headers["${API_KEY_HEADER}"]`,
  'headers["stripe-signature"]',
  'headers["x-signature"]',
  'headers["tosspayments-webhook-signature"]',
  'headers["x-demo-signature"]',
  'secret',
  '*.secret',
  'apiKey',
  '*.apiKey',
  'authKey',
  '*.authKey',
  'billingKey',
  '*.billingKey',
  'card',
  '*.card',
  'cardNumber',
  '*.cardNumber',
  'password',
  '*.password',
  'signature',
  '*.signature',
];

/** A database error as its driver reports it: the SQL, its bound values, `detail` with row values. */
function isDatabaseError(err: Error): err is Error & Record<string, unknown> {
  return err instanceof DriverException || (typeof (err as { routine?: unknown }).routine === 'string' && 'severity' in err);
}

/** An error's message as it may be stored or shown (a database error without its statement and values). */
export function safeErrorMessage(err: unknown): string {
  const serialized = serializeError(err);
  return typeof serialized === 'object' && serialized !== null && 'message' in serialized ? String(serialized.message) : String(err);
}

/**
 * How every `err` is logged. Database errors are reduced to PostgreSQL's own message, its code,
 * table and constraint: the driver's message starts with the whole statement and its bound values
 * (memory contents, emails), and `detail` repeats row values, so neither may reach the logs.
 */
export function serializeError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  if (!isDatabaseError(err)) return pino.stdSerializers.err(err);
  // knex prefixes PostgreSQL's message with "<statement with values> - ".
  const message = err.message.slice(err.message.lastIndexOf(' - ') + 1).replace(/^- /, '');
  const frames = (err.stack ?? '').split('\n').filter((line) => line.trim().startsWith('at '));
  return {
    type: err.name,
    message,
    code: err.code,
    table: err.table,
    constraint: err.constraint,
    stack: [`${err.name}: ${message}`, ...frames].join('\n'),
  };
}

export function createLogger(config: Pick<Config, 'logLevel'>, destination?: DestinationStream): Logger {
  return pino(
    {
      level: config.logLevel,
      serializers: { err: serializeError },
      base: { service: 'stellar-memory-api' },
      redact: { paths: REDACT, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

/**
 * A per-request logger that becomes a real pino child (with the request id bound) only when
 * something is logged through it. Most requests log nothing through it, and creating a child with
 * redaction on every request is a measurable share of a fast request (see README, benchmarks).
 * One object per request; the methods live on the prototype.
 */
class LazyChildLogger {
  private bound?: Logger;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Record<string, unknown>,
    private readonly options: object,
  ) {}

  /** The pino child, made on first need. */
  real(): Logger {
    return (this.bound ??= this.parent.child(this.bindings, this.options));
  }

  get level(): string {
    return (this.bound ?? this.parent).level;
  }

  set level(level: string) {
    this.real().level = level;
  }

  child(more: Record<string, unknown>, moreOptions?: object): Logger {
    return this.real().child(more, moreOptions);
  }

  isLevelEnabled(level: string): boolean {
    return (this.bound ?? this.parent).isLevelEnabled(level);
  }

  silent(): void {}
}

for (const level of LEVELS) {
  Object.defineProperty(LazyChildLogger.prototype, level, {
    value(this: LazyChildLogger, ...args: unknown[]) {
      if (this.isLevelEnabled(level)) (this.real()[level] as (...a: unknown[]) => void)(...args);
    },
  });
}

export function lazyChildLogger(parent: Logger, bindings: Record<string, unknown>, options: object): Logger {
  return new LazyChildLogger(parent, bindings, options) as unknown as Logger;
}
