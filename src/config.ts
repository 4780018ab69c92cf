import { isIP } from 'node:net';

/**
 * Every environment variable is read and validated here and nowhere else (docs/operations.md).
 * `loadConfig` collects every problem before failing so an operator fixes them in one pass.
 */

export type NodeEnv = 'development' | 'production' | 'test';
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface StripeConfig {
  secretKey: string;
  webhookSecret: string;
  pricePro: string;
  priceTeam: string;
  apiUrl?: string;
}

export interface LemonConfig {
  apiKey: string;
  storeId: string;
  variantPro: string;
  variantTeam: string;
  webhookSecret: string;
  apiUrl?: string;
}

/** TossPayments' browser SDK (v2), which opens the card authorization for automatic billing. */
const TOSS_SDK_URL = 'https://js.tosspayments.com/v2/standard';

export interface TossConfig {
  secretKey: string;
  clientKey: string;
  webhookSecret?: string;
  apiUrl?: string;
}

export interface EmbeddingsConfig {
  url: string;
  apiKey?: string;
  model: string;
}

/** Dimensions of the built-in model's vectors (Universal Sentence Encoder lite; checked against the model at start). */
export const LOCAL_EMBEDDINGS_DIM = 512;

/** Where sentence embeddings come from: the built-in model, the EMBEDDINGS_URL endpoint, or nowhere. */
export type EmbeddingsMode = 'local' | 'remote' | 'off';
const EMBEDDINGS_MODES: readonly EmbeddingsMode[] = ['local', 'remote', 'off'];

export interface Config {
  port: number;
  host: string;
  /** Production serves /metrics here only, never on the public port. */
  metricsPort: number;
  publicUrl: string;
  databaseUrl?: string;
  databasePoolMax: number;
  embeddedDbDir: string;
  redisUrl?: string;
  nodeEnv: NodeEnv;
  isProduction: boolean;
  logLevel: LogLevel;
  corsOrigins: string[];
  billingEnabled: boolean;
  stellarApiKey?: string;
  billingDemo: boolean;
  stripe?: StripeConfig;
  lemon?: LemonConfig;
  toss?: TossConfig;
  /** 32-byte key for billing keys at rest; set whenever Toss is on. */
  billingKeySecret?: Buffer;
  /** The TossPayments browser SDK the landing page loads for the card authorization (tests point it at a fake). */
  tossSdkUrl: string;
  adminApiKey?: string;
  smtpUrl?: string;
  mailFrom: string;
  mailOutboxDir: string;
  /** EMBEDDINGS: `remote` when EMBEDDINGS_URL is set, else `local`. */
  embeddingsMode: EmbeddingsMode;
  /** The remote endpoint; set exactly when the mode is `remote`. */
  embeddings?: EmbeddingsConfig;
  /** EMBEDDINGS_DIM: the remote endpoint's dimension (the local model has its own). */
  embeddingsDim: number;
  /** EMBEDDINGS_THREADS: worker threads of the built-in model, each with its own copy (~30-40 MB). */
  embeddingsThreads: number;
  /** The dimension of stored vectors: the model's; null with EMBEDDINGS=off (no vectors). */
  vectorDim: number | null;
  providerTimeoutMs: number;
  trustedProxies: string[];
  /** A header naming the client, set by the trusted proxy itself (Fly: fly-client-ip); read only on connections from TRUSTED_PROXIES. */
  clientIpHeader?: string;
  publicRateLimit: number;
  /** Unsigned webhook events (Toss payment events) a minute per client IP. */
  unsignedWebhookRateLimit: number;
  introspection: boolean;
  /** After SIGTERM: keep serving this long while /readyz says draining, then stop accepting. */
  shutdownGraceMs: number;
  /** After SIGTERM: give up on unfinished requests and exit 1 after this long. */
  shutdownTimeoutMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  str(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const raw = this.str(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.str(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
    if (['0', 'false', 'no', 'off'].includes(raw)) return false;
    this.problems.push(`${name} must be true or false (got "${raw}")`);
    return fallback;
  }

  url(name: string, protocols: string[], fallback?: string): string | undefined {
    const raw = this.str(name) ?? fallback;
    if (raw === undefined) return undefined;
    try {
      const parsed = new URL(raw);
      if (!protocols.includes(parsed.protocol)) throw new Error('protocol');
      return raw.replace(/\/+$/, '');
    } catch {
      this.problems.push(`${name} must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')} (got "${raw}")`);
      return undefined;
    }
  }

  /** All of `names` set → their values; none set → undefined; some set → a problem naming the rest. */
  group<K extends string>(label: string, names: Record<K, string>): Record<K, string> | undefined {
    const values = {} as Record<K, string>;
    const missing: string[] = [];
    for (const [key, name] of Object.entries(names) as [K, string][]) {
      const value = this.str(name);
      if (value === undefined) missing.push(name);
      else values[key] = value;
    }
    const total = Object.keys(names).length;
    if (missing.length === total) return undefined;
    if (missing.length > 0) {
      this.problems.push(`${label} is partly configured: missing ${missing.join(', ')}`);
      return undefined;
    }
    return values;
  }
}

function parseKey32(raw: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(raw)) return Buffer.from(raw, 'hex');
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(raw)) {
    const decoded = Buffer.from(raw, 'base64');
    if (decoded.length === 32) return decoded;
  }
  return undefined;
}

/** An IPv4/IPv6 address or CIDR range. */
export function isAddressOrCidr(value: string): boolean {
  const [address, bits, extra] = value.split('/');
  if (extra !== undefined || !address) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return /^\d+$/.test(bits) && n >= 0 && n <= (family === 4 ? 32 : 128);
}

/** A listen address that only this machine can reach: 127.0.0.0/8, ::1 or localhost. */
export function isLoopbackHost(host: string): boolean {
  const value = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (value === 'localhost' || value === '::1') return true;
  return isIP(value) === 4 && value.startsWith('127.');
}

function originOf(value: string): string | undefined {
  try {
    const parsed = new URL(value);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
    return parsed.origin;
  } catch {
    return undefined;
  }
}

export function loadConfig(env: Env = process.env): Config {
  const r = new Reader(env);

  const nodeEnvRaw = r.str('NODE_ENV') ?? 'development';
  let nodeEnv: NodeEnv = 'development';
  if (nodeEnvRaw === 'development' || nodeEnvRaw === 'production' || nodeEnvRaw === 'test') nodeEnv = nodeEnvRaw;
  else r.problems.push(`NODE_ENV must be development, production or test (got "${nodeEnvRaw}")`);
  const isProduction = nodeEnv === 'production';

  const logLevelRaw = r.str('LOG_LEVEL') ?? 'info';
  let logLevel: LogLevel = 'info';
  if ((LOG_LEVELS as readonly string[]).includes(logLevelRaw)) logLevel = logLevelRaw as LogLevel;
  else r.problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${logLevelRaw}")`);

  const port = r.int('PORT', 8080, 0, 65535);
  const metricsPort = r.int('METRICS_PORT', 9091, 0, 65535);
  if (isProduction && metricsPort === port && port !== 0) r.problems.push('METRICS_PORT must differ from PORT (the metrics must not be on the public port)');
  // Outside production only this machine can reach a server that was not told otherwise.
  const host = r.str('HOST') ?? (isProduction ? '0.0.0.0' : '127.0.0.1');
  const publicUrl = r.url('PUBLIC_URL', ['http:', 'https:'], 'http://localhost:8080') ?? 'http://localhost:8080';

  const databaseUrl = r.url('DATABASE_URL', ['postgres:', 'postgresql:']) ?? r.url('STELLAR_DB_URL', ['postgres:', 'postgresql:']);
  // PostgreSQL does best with a few busy connections per core; beyond that, waiting statements cost
  // it context switches. Ten per instance (pg's own default) measured a fifth less database CPU per
  // webhook delivery than twenty on a two-core server (README, "Decisions").
  const databasePoolMax = r.int('DATABASE_POOL_MAX', 10, 1, 500);
  const embeddedDbDir = r.str('EMBEDDED_DB_DIR') ?? '.data/pg';
  const redisUrl = r.url('REDIS_URL', ['redis:', 'rediss:']);

  const corsOrigins: string[] = [];
  for (const entry of (r.str('CORS_ORIGINS') ?? publicUrl).split(',').map((s) => s.trim()).filter(Boolean)) {
    const origin = originOf(entry);
    if (origin) corsOrigins.push(origin);
    else r.problems.push(`CORS_ORIGINS entry "${entry}" is not an http(s) origin`);
  }

  const billingEnabled = r.bool('STELLAR_BILLING_ENABLED', true);
  const stellarApiKey = r.str('STELLAR_API_KEY');
  if (!billingEnabled && stellarApiKey === undefined) {
    r.problems.push('STELLAR_API_KEY is required when STELLAR_BILLING_ENABLED=false (it is the only key of self-hosted mode)');
  }
  if (stellarApiKey !== undefined && stellarApiKey.length < 16) {
    r.problems.push('STELLAR_API_KEY must be at least 16 characters');
  }

  const demoRaw = r.str('BILLING_DEMO');
  // The demo provider grants paid plans for free: on by default only where nobody else can reach it.
  const billingDemo = r.bool('BILLING_DEMO', !isProduction && isLoopbackHost(host));
  if (isProduction && demoRaw !== undefined && billingDemo) {
    r.problems.push('BILLING_DEMO=1 is not allowed with NODE_ENV=production (the demo provider grants plans without payment)');
  }

  const stripeVars = r.group('Stripe', {
    secretKey: 'STRIPE_SECRET_KEY',
    webhookSecret: 'STRIPE_WEBHOOK_SECRET',
    pricePro: 'STRIPE_PRICE_PRO',
    priceTeam: 'STRIPE_PRICE_TEAM',
  });
  const stripeApiUrl = r.url('STRIPE_API_URL', ['http:', 'https:']);
  const stripe = stripeVars && { ...stripeVars, apiUrl: stripeApiUrl };

  const lemonVars = r.group('Lemon Squeezy', {
    apiKey: 'LEMON_API_KEY',
    storeId: 'LEMON_STORE_ID',
    variantPro: 'LEMON_VARIANT_PRO',
    variantTeam: 'LEMON_VARIANT_TEAM',
    webhookSecret: 'LEMON_WEBHOOK_SECRET',
  });
  const lemonApiUrl = r.url('LEMON_API_URL', ['http:', 'https:']);
  const lemon = lemonVars && { ...lemonVars, apiUrl: lemonApiUrl };

  const tossVars = r.group('TossPayments', {
    secretKey: 'TOSS_SECRET_KEY',
    clientKey: 'TOSS_CLIENT_KEY',
    billingKeySecret: 'BILLING_KEY_SECRET',
  });
  const tossApiUrl = r.url('TOSS_API_URL', ['http:', 'https:']);
  let billingKeySecret: Buffer | undefined;
  const billingKeyRaw = r.str('BILLING_KEY_SECRET');
  if (billingKeyRaw !== undefined) {
    billingKeySecret = parseKey32(billingKeyRaw);
    if (!billingKeySecret) r.problems.push('BILLING_KEY_SECRET must be 32 bytes, as 64 hex characters or base64');
  }
  const tossSdkUrl = r.url('TOSS_SDK_URL', ['http:', 'https:'], TOSS_SDK_URL) ?? TOSS_SDK_URL;
  const toss = tossVars && {
    secretKey: tossVars.secretKey,
    clientKey: tossVars.clientKey,
    webhookSecret: r.str('TOSS_WEBHOOK_SECRET'),
    apiUrl: tossApiUrl,
  };

  const adminApiKey = r.str('ADMIN_API_KEY');
  if (adminApiKey !== undefined && adminApiKey.length < 16) r.problems.push('ADMIN_API_KEY must be at least 16 characters');

  const smtpUrl = r.url('SMTP_URL', ['smtp:', 'smtps:']);
  const mailFrom = r.str('MAIL_FROM') ?? 'Stellar Memory <no-reply@localhost>';
  const mailOutboxDir = r.str('MAIL_OUTBOX_DIR') ?? '.data/outbox';

  const embeddingsUrl = r.url('EMBEDDINGS_URL', ['http:', 'https:']);
  const embeddings = embeddingsUrl
    ? { url: embeddingsUrl, apiKey: r.str('EMBEDDINGS_API_KEY'), model: r.str('EMBEDDINGS_MODEL') ?? 'text-embedding-3-small' }
    : undefined;
  const embeddingsDim = r.int('EMBEDDINGS_DIM', 1536, 1, 16000);
  // One: on ONNX Runtime one thread embeds ~250 memories/s into PostgreSQL at 500,000 memories
  // (2026-12-07), more than the database's side of the drain allows on two cores, and a query waits
  // behind at most one small run. A second thread adds a copy of the model (docs/embeddings.md).
  const embeddingsThreads = r.int('EMBEDDINGS_THREADS', 1, 1, 8);
  const embeddingsModeRaw = r.str('EMBEDDINGS')?.toLowerCase() ?? (embeddingsUrl ? 'remote' : 'local');
  let embeddingsMode: EmbeddingsMode = 'local';
  if ((EMBEDDINGS_MODES as readonly string[]).includes(embeddingsModeRaw)) embeddingsMode = embeddingsModeRaw as EmbeddingsMode;
  else r.problems.push(`EMBEDDINGS must be local, remote or off (got "${embeddingsModeRaw}")`);
  if (embeddingsMode === 'remote' && !embeddings && !r.str('EMBEDDINGS_URL')) r.problems.push('EMBEDDINGS=remote needs EMBEDDINGS_URL');

  const providerTimeoutMs = r.int('PROVIDER_TIMEOUT_MS', 10_000, 1, 600_000);

  const trustedProxies = (r.str('TRUSTED_PROXIES') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const entry of trustedProxies) {
    if (!isAddressOrCidr(entry)) r.problems.push(`TRUSTED_PROXIES entry "${entry}" is not an IP address or CIDR range`);
  }

  const clientIpHeader = r.str('CLIENT_IP_HEADER')?.toLowerCase();
  if (clientIpHeader !== undefined && !/^[a-z0-9-]{1,64}$/.test(clientIpHeader)) r.problems.push(`CLIENT_IP_HEADER must be a header name (got "${clientIpHeader}")`);
  if (clientIpHeader !== undefined && trustedProxies.length === 0) {
    r.problems.push('CLIENT_IP_HEADER is read only on connections from TRUSTED_PROXIES: set TRUSTED_PROXIES to the proxy that sets it');
  }

  const publicRateLimit = r.int('PUBLIC_RATE_LIMIT', 10, 1, 1_000_000);
  // Toss sends from a few addresses, one event per payment change; far more than that is a flood.
  const unsignedWebhookRateLimit = r.int('UNSIGNED_WEBHOOK_RATE_LIMIT', 120, 1, 1_000_000);
  const introspection = r.bool('GRAPHQL_INTROSPECTION', !isProduction);
  const shutdownGraceMs = r.int('SHUTDOWN_GRACE_MS', 1_000, 0, 60_000);
  const shutdownTimeoutMs = r.int('SHUTDOWN_TIMEOUT_MS', 25_000, 1_000, 600_000);

  if (r.problems.length > 0) throw new ConfigError(r.problems);

  return {
    port,
    host,
    metricsPort,
    publicUrl,
    databaseUrl,
    databasePoolMax,
    embeddedDbDir,
    redisUrl,
    nodeEnv,
    isProduction,
    logLevel,
    corsOrigins,
    billingEnabled,
    stellarApiKey: billingEnabled ? undefined : stellarApiKey,
    billingDemo: billingEnabled && billingDemo,
    stripe: billingEnabled ? stripe : undefined,
    lemon: billingEnabled ? lemon : undefined,
    toss: billingEnabled ? toss : undefined,
    tossSdkUrl,
    billingKeySecret,
    adminApiKey,
    smtpUrl,
    mailFrom,
    mailOutboxDir,
    embeddingsMode,
    embeddings: embeddingsMode === 'remote' ? embeddings : undefined,
    embeddingsDim,
    embeddingsThreads,
    vectorDim: embeddingsMode === 'off' ? null : embeddingsMode === 'local' ? LOCAL_EMBEDDINGS_DIM : embeddingsDim,
    providerTimeoutMs,
    trustedProxies,
    clientIpHeader,
    publicRateLimit,
    unsignedWebhookRateLimit,
    introspection,
    shutdownGraceMs,
    shutdownTimeoutMs,
  };
}
