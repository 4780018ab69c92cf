import { pino, type DestinationStream, type Logger } from 'pino';
import type { Config } from './config.js';

/**
 * Paths pino blanks wherever they occur in a log object. Nothing logs these on purpose; this is
 * the second line of defence for keys, secrets, card data and webhook signatures (SPEC §10).
 */
const REDACT = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'req.headers["stripe-signature"]',
  'req.headers["x-signature"]',
  'req.headers["tosspayments-webhook-signature"]',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers["stripe-signature"]',
  'headers["x-signature"]',
  'headers["tosspayments-webhook-signature"]',
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

export function createLogger(config: Pick<Config, 'logLevel'>, destination?: DestinationStream): Logger {
  return pino(
    {
      level: config.logLevel,
      base: { service: 'stellar-memory-api' },
      redact: { paths: REDACT, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
