import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
};

describe('configuration', () => {
  it('defaults to a development server on :8080 with the embedded database and demo billing', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      publicUrl: 'http://localhost:8080',
      databaseUrl: undefined,
      embeddedDbDir: '.data/pg',
      billingEnabled: true,
      billingDemo: true,
      corsOrigins: ['http://localhost:8080'],
      providerTimeoutMs: 10_000,
      publicRateLimit: 10,
      embeddingsDim: 1536,
      embeddingsMode: 'local',
      vectorDim: 512,
      mailOutboxDir: '.data/outbox',
    });
    expect(config.stripe).toBeUndefined();
  });

  it('picks the embedding model: built in by default, the endpoint when EMBEDDINGS_URL is set, none with EMBEDDINGS=off', () => {
    const url = 'https://embeddings.example.com/v1';
    expect(loadConfig({})).toMatchObject({ embeddingsMode: 'local', vectorDim: 512, embeddings: undefined });
    expect(loadConfig({ EMBEDDINGS_URL: url, EMBEDDINGS_DIM: '768' })).toMatchObject({ embeddingsMode: 'remote', vectorDim: 768, embeddings: { url } });
    expect(loadConfig({ EMBEDDINGS_URL: url, EMBEDDINGS: 'local' })).toMatchObject({ embeddingsMode: 'local', vectorDim: 512, embeddings: undefined });
    expect(loadConfig({ EMBEDDINGS: 'OFF', EMBEDDINGS_URL: url })).toMatchObject({ embeddingsMode: 'off', vectorDim: null, embeddings: undefined });
    expect(problemsOf({ EMBEDDINGS: 'remote' })).toEqual(['EMBEDDINGS=remote needs EMBEDDINGS_URL']);
    expect(problemsOf({ EMBEDDINGS: 'openai' })).toEqual(['EMBEDDINGS must be local, remote or off (got "openai")']);
  });

  it('runs the built-in model in one thread on either database, unless EMBEDDINGS_THREADS says', () => {
    const external = { DATABASE_URL: 'postgres://db.example.com/stellar' };
    expect(loadConfig(external).embeddingsThreads).toBe(1);
    expect(loadConfig({}).embeddingsThreads).toBe(1);
    expect(loadConfig({ EMBEDDINGS_THREADS: '2' }).embeddingsThreads).toBe(2);
    expect(loadConfig({ ...external, EMBEDDINGS_THREADS: '1' }).embeddingsThreads).toBe(1);
    expect(problemsOf({ EMBEDDINGS_THREADS: '0' })).toHaveLength(1);
    expect(problemsOf({ EMBEDDINGS_THREADS: 'many' })).toHaveLength(1);
  });

  it('accepts STELLAR_DB_URL as an alias of DATABASE_URL', () => {
    expect(loadConfig({ STELLAR_DB_URL: 'postgres://u@db:5432/x' }).databaseUrl).toBe('postgres://u@db:5432/x');
  });

  it('reports every problem, one line each', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      PUBLIC_URL: 'ftp://x',
      LOG_LEVEL: 'loud',
      REDIS_URL: 'http://redis',
      PROVIDER_TIMEOUT_MS: '-1',
      TRUSTED_PROXIES: '10.0.0.0/8, not-an-ip',
      STRIPE_SECRET_KEY: 'sk_test_1',
      BILLING_KEY_SECRET: 'short',
    });
    expect(problems).toHaveLength(9);
    expect(problems.join('\n')).toMatch(/PORT/);
    expect(problems.join('\n')).toMatch(/TossPayments is partly configured: missing TOSS_SECRET_KEY, TOSS_CLIENT_KEY/);
    expect(problems.join('\n')).toMatch(/BILLING_KEY_SECRET must be 32 bytes/);
    expect(problems.join('\n')).toMatch(/Stripe is partly configured: missing STRIPE_WEBHOOK_SECRET, STRIPE_PRICE_PRO, STRIPE_PRICE_TEAM/);
    expect(problems.join('\n')).toMatch(/TRUSTED_PROXIES entry "not-an-ip"/);
    expect(problems.every((p) => !p.includes('\n'))).toBe(true);
  });

  it('turns a provider on only when all of its variables are set', () => {
    const config = loadConfig({
      STRIPE_SECRET_KEY: 'sk_test_1',
      STRIPE_WEBHOOK_SECRET: 'whsec_1',
      STRIPE_PRICE_PRO: 'price_pro',
      STRIPE_PRICE_TEAM: 'price_team',
      STRIPE_API_URL: 'http://127.0.0.1:9999/',
      TOSS_SECRET_KEY: 'test_sk',
      TOSS_CLIENT_KEY: 'test_ck',
      BILLING_KEY_SECRET: 'a'.repeat(64),
    });
    expect(config.stripe).toEqual({ secretKey: 'sk_test_1', webhookSecret: 'whsec_1', pricePro: 'price_pro', priceTeam: 'price_team', apiUrl: 'http://127.0.0.1:9999' });
    expect(config.toss?.secretKey).toBe('test_sk');
    expect(config.billingKeySecret?.length).toBe(32);
    expect(config.lemon).toBeUndefined();
    expect(problemsOf({ TOSS_SECRET_KEY: 'x', TOSS_CLIENT_KEY: 'y' })).toEqual(['TossPayments is partly configured: missing BILLING_KEY_SECRET']);
  });

  it('listens on loopback outside production and on every interface in production', () => {
    expect(loadConfig({}).host).toBe('127.0.0.1');
    expect(loadConfig({ NODE_ENV: 'production' }).host).toBe('0.0.0.0');
    expect(loadConfig({ NODE_ENV: 'production', HOST: '127.0.0.1' }).host).toBe('127.0.0.1');
  });

  it('offers the demo provider by default only while the server listens on a loopback address', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1', '[::1]']) expect(loadConfig({ HOST: host }).billingDemo).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.com']) expect(loadConfig({ HOST: host }).billingDemo).toBe(false);
    expect(loadConfig({ HOST: '0.0.0.0', BILLING_DEMO: '1' }).billingDemo).toBe(true);
    expect(loadConfig({ HOST: '127.0.0.1', BILLING_DEMO: '0' }).billingDemo).toBe(false);
    expect(problemsOf({ NODE_ENV: 'production', HOST: '127.0.0.1', BILLING_DEMO: '1' })).toHaveLength(1);
  });

  it('never runs the demo provider in production', () => {
    expect(loadConfig({ NODE_ENV: 'production' }).billingDemo).toBe(false);
    expect(problemsOf({ NODE_ENV: 'production', BILLING_DEMO: '1' })).toHaveLength(1);
    expect(loadConfig({ BILLING_DEMO: '0' }).billingDemo).toBe(false);
  });

  it('needs STELLAR_API_KEY in self-hosted mode', () => {
    expect(problemsOf({ STELLAR_BILLING_ENABLED: 'false' })[0]).toMatch(/STELLAR_API_KEY is required/);
    const config = loadConfig({ STELLAR_BILLING_ENABLED: 'false', STELLAR_API_KEY: 'self-hosted-key-0123456789' });
    expect(config.billingEnabled).toBe(false);
    expect(config.billingDemo).toBe(false);
  });

  it('stops the process at start with one clear line per problem', () => {
    const root = fileURLToPath(new URL('..', import.meta.url));
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: root,
      env: { PATH: process.env.PATH, PORT: '99999', LEMON_API_KEY: 'x' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    const lines = result.stderr.split('\n').filter((l) => l.startsWith('config error: '));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/PORT must be an integer/);
    expect(lines[1]).toMatch(/Lemon Squeezy is partly configured/);
  });
});
