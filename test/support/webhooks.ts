import { afterAll, beforeAll } from 'vitest';
import { signLemon, signStripe, tossWebhookHeaders, type StripeEventPayload, type TossWebhookEvent } from '../fakes/index.js';
import { LEMON, STRIPE, billingEnv, startProviderFakes, type ProviderFakes } from './billing.js';
import { spawnServer, type SpawnedServer } from './spawn.js';
import type { TestServer } from './server.js';

/**
 * Deliveries to the webhook routes, signed exactly as each provider signs them: Stripe through the
 * SDK's generateTestHeaderString, Lemon Squeezy with the hex HMAC of the raw body, Toss with the
 * headers its fake builds (payment events unsigned, as Toss sends them).
 */

export interface Delivery {
  path: string;
  body: string;
  headers: Record<string, string>;
}

export interface DeliveryResult {
  status: number;
  body: { received?: boolean; outcome?: string; error?: string };
}

export async function deliver(server: { url: string }, delivery: Delivery): Promise<DeliveryResult> {
  const response = await fetch(`${server.url}${delivery.path}`, { method: 'POST', headers: delivery.headers, body: delivery.body });
  const text = await response.text();
  let body: DeliveryResult['body'] = {};
  try {
    body = JSON.parse(text) as DeliveryResult['body'];
  } catch {
    // not JSON (a 413 from the server itself, say)
  }
  return { status: response.status, body };
}

export function stripeDelivery(event: StripeEventPayload<unknown>, options: { secret?: string; timestamp?: number } = {}): Delivery {
  const body = JSON.stringify(event);
  return {
    path: '/webhooks/stripe',
    body,
    headers: { 'content-type': 'application/json', 'stripe-signature': signStripe(body, options.secret ?? STRIPE.webhookSecret, options.timestamp) },
  };
}

export function lemonDelivery(body: string, options: { secret?: string } = {}): Delivery {
  const eventName = (JSON.parse(body) as { meta: { event_name: string } }).meta.event_name;
  return {
    path: '/webhooks/lemonsqueezy',
    body,
    headers: { 'content-type': 'application/json', 'x-event-name': eventName, 'x-signature': signLemon(body, options.secret ?? LEMON.webhookSecret) },
  };
}

export function tossDelivery(event: TossWebhookEvent<unknown> | Record<string, unknown>, options: { transmissionId?: string; secret?: string } = {}): Delivery {
  const body = JSON.stringify(event);
  return { path: '/webhooks/toss', body, headers: tossWebhookHeaders(body, options) };
}

/** Stripe `created` values that increase by 10 s per call, starting in the past (signatures stay fresh). */
export function stripeClock(start = Math.floor(Date.now() / 1000) - 3_600): () => number {
  let t = start;
  return () => (t += 10);
}

export interface LedgerRow {
  provider: string;
  event_id: string;
  type: string;
  outcome: string;
  error: string | null;
  attempts: number;
}

export const ledgerFor = (server: Pick<TestServer, 'sql'>, eventId: string) =>
  server.sql<LedgerRow>(`select provider, event_id, type, outcome, error, attempts from webhook_events where event_id = ?`, [eventId]);

export interface AuditRow {
  type: string;
  source: string;
  status_before: string | null;
  status_after: string | null;
  tier_before: string;
  tier_after: string;
  amount: number | null;
  currency: string | null;
}

export const auditFor = (server: Pick<TestServer, 'sql'>, userId: string) =>
  server.sql<AuditRow>(
    `select type, source, status_before, status_after, tier_before, tier_after, amount, currency from subscription_events where user_id = ? order by created_at, id`,
    [userId],
  );

export const subscriptionRow = async (server: Pick<TestServer, 'sql'>, provider: string, providerSubscriptionId: string) =>
  (
    await server.sql<{ id: string; status: string; tier: string; current_period_end: string | null; cancel_at_period_end: boolean; past_due_since: string | null }>(
      `select id, status, tier, current_period_end, cancel_at_period_end, past_due_since from subscriptions where provider = ? and provider_subscription_id = ?`,
      [provider, providerSubscriptionId],
    )
  )[0];

/**
 * For multi-process test files: provider fakes for the whole file, and server processes pointed at
 * them (`spawn`), all stopped after the file. Read `ctx.fakes` inside tests.
 */
export function useFakesAndProcesses(): { fakes: ProviderFakes; spawn(options?: { redis?: boolean }): Promise<SpawnedServer> } {
  const started: SpawnedServer[] = [];
  const ctx = {
    fakes: undefined as unknown as ProviderFakes,
    async spawn(options: { redis?: boolean } = {}) {
      const server = await spawnServer({ env: billingEnv(ctx.fakes), ...options });
      started.push(server);
      return server;
    },
  };
  beforeAll(async () => {
    ctx.fakes = await startProviderFakes();
  });
  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop()));
    await ctx.fakes?.close();
  });
  return ctx;
}
