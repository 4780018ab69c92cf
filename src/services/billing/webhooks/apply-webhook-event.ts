import type { EntityManager } from '@mikro-orm/postgresql';
import { Provider, SubscriptionStatus, WebhookOutcome } from '../../../entities/enums.js';
import { BillingEventType, WebhookRejected, WebhookRetryLater, WebhookSecretMissing, type NormalizedWebhook, type VerifiedWebhook, type WebhookRequest } from '../../../providers/types.js';
import { ipBucket } from '../../limits/rate-limiter.js';
import type { WebhookDeps } from '../deps.js';
import { priceFor } from '../../../plans.js';
import { inTransaction, type Sql, type Statement } from '../../../db/sql.js';
import { applySubscriptionChange, type ApplyResult, type ChangeLedger } from '../subscription-state.js';
import { claimStatement, claimWebhookEvent, errorText, isSettled, recordWebhookFailure, settleStatement, settleWebhookEvent } from './webhook-ledger.js';

/**
 * The one ingest path of every provider's webhooks (docs/billing.md): verify → normalize → in one
 * transaction claim the ledger row (unique provider + event id), apply the change to the
 * subscription (which writes the audit row) and settle the row → after commit, tell every instance
 * the user's plan may have changed. A duplicate answers 200 and changes nothing; a failure rolls
 * everything back, answers 500 (the provider retries) and leaves the event FAILED for a replay.
 */


/** What the route answers; `outcome` also labels the metric. */
export interface WebhookReceipt {
  status: 200 | 400 | 401 | 413 | 429 | 500 | 503;
  outcome: WebhookOutcome | 'DUPLICATE' | 'REJECTED' | 'NOT_CONFIGURED' | 'RATE_LIMITED' | 'RETRY_LATER';
  ledgerId: string | null;
  message?: string;
  /** With 429: when the sender's window ends. */
  retryAfterSeconds?: number;
}

export interface AppliedEvent {
  outcome: WebhookOutcome | 'DUPLICATE';
  ledgerId: string | null;
  userId: string | null;
  note: string | null;
  /** The user's effective tier may have changed: every instance must drop its cached one. */
  entitlementChanged: boolean;
}

/** One delivery to `/webhooks/<provider>`. */
export async function receiveWebhook(deps: WebhookDeps, em: EntityManager, provider: Provider, request: WebhookRequest): Promise<WebhookReceipt> {
  const log = deps.logger.child({ component: 'webhooks', provider });
  const count = (receipt: WebhookReceipt) => (deps.metrics.webhookEvents.inc({ provider, outcome: receipt.outcome }), receipt);
  if (!deps.providers.has(provider)) return count({ status: 503, outcome: 'NOT_CONFIGURED', ledgerId: null, message: `${provider} is not configured` });
  const adapter = await deps.providers.get(provider);

  let verified: VerifiedWebhook;
  let normalized: NormalizedWebhook;
  try {
    verified = adapter.verifyWebhook(request);
  } catch (err) {
    return count(refusal(log, err));
  }
  if (verified.unsigned) {
    const refused = await limitUnsigned(deps, log, provider, request.clientIp ?? 'unknown');
    if (refused) return count(refused);
  }
  // A redelivery of an event already settled is answered without asking the provider's API again.
  // The claim in applyWebhookEvent is what guarantees once; this only saves the API call, so events
  // normalized from their body alone skip it (it would be one more round trip for every new event).
  if (adapter.normalizationReadsApi(verified) && (await isSettled(em, provider, verified.eventId))) return count({ status: 200, outcome: 'DUPLICATE', ledgerId: null });
  try {
    normalized = await adapter.normalizeWebhook(verified);
  } catch (err) {
    if (err instanceof WebhookRejected) return count(refusal(log, err, verified));
    if (err instanceof WebhookRetryLater) return count({ status: 503, outcome: 'RETRY_LATER', ledgerId: null, message: err.message });
    // The provider's API failed (Toss read-back, Stripe subscription fetch): retry later.
    log.error({ eventId: verified.eventId, type: verified.type, err }, 'webhook event could not be normalized');
    await recordWebhookFailure(em, provider, verified, err);
    return count({ status: 500, outcome: WebhookOutcome.FAILED, ledgerId: null, message: 'processing failed; retry' });
  }
  const applied = await applyWebhookEvent(deps, em, provider, verified, normalized);
  const status = applied.outcome === WebhookOutcome.FAILED ? 500 : 200;
  return count({ status, outcome: applied.outcome, ledgerId: applied.ledgerId, ...(status === 500 ? { message: 'processing failed; retry' } : {}) });
}

/**
 * Anyone can post an unsigned event (nothing proves it came from the provider), and each may cost a
 * provider API read: the sender's address gets UNSIGNED_WEBHOOK_RATE_LIMIT a minute, counted in the
 * same store as the per-IP limit of the public mutations. An unreachable store refuses (503).
 */
async function limitUnsigned(deps: WebhookDeps, log: WebhookDeps['logger'], provider: Provider, clientIp: string): Promise<WebhookReceipt | null> {
  let window;
  try {
    window = await deps.rateLimiter.take(`webhook:${provider}:${ipBucket(clientIp)}`, 1, deps.config.unsignedWebhookRateLimit);
  } catch (err) {
    log.error({ err, store: deps.rateLimiter.store.kind }, 'rate-limit store unreachable; refusing an unsigned webhook');
    return { status: 503, outcome: 'RETRY_LATER', ledgerId: null, message: 'rate limiting is unavailable; retry' };
  }
  if (window.allowed) return null;
  const retryAfterSeconds = Math.max(1, Math.ceil((window.resetAt.getTime() - Date.now()) / 1000));
  return { status: 429, outcome: 'RATE_LIMITED', ledgerId: null, message: 'too many unsigned events from this address', retryAfterSeconds };
}

function refusal(log: WebhookDeps['logger'], err: unknown, verified?: VerifiedWebhook): WebhookReceipt {
  if (err instanceof WebhookSecretMissing) {
    log.error(err.message);
    return { status: 503, outcome: 'NOT_CONFIGURED', ledgerId: null, message: 'webhook secret not configured' };
  }
  if (!(err instanceof WebhookRejected)) throw err;
  log.warn({ eventId: verified?.eventId, reason: err.message }, 'webhook refused');
  return { status: err.status, outcome: 'REJECTED', ledgerId: null, message: err.message };
}

/**
 * Records and applies one verified, normalized event exactly once (also the replay path). Never
 * throws for a processing failure: the event is recorded FAILED and the outcome says so.
 */
export async function applyWebhookEvent(
  deps: Pick<WebhookDeps, 'entitlements' | 'logger' | 'db'>,
  em: EntityManager,
  provider: Provider,
  event: VerifiedWebhook,
  normalized: NormalizedWebhook,
): Promise<AppliedEvent> {
  let done: AppliedEvent;
  try {
    done = await inTransaction(em, { sessionPerConnection: deps.db.sessionPerConnection }, (sql) => applyNormalized(sql, provider, event, normalized));
  } catch (err) {
    deps.logger.error({ component: 'webhooks', provider, eventId: event.eventId, type: event.type, err }, 'webhook event failed; recorded for retry');
    await recordWebhookFailure(em, provider, event, err);
    return { outcome: WebhookOutcome.FAILED, ledgerId: null, userId: null, note: errorText(err), entitlementChanged: false };
  }
  // Not for an applied change that left the row's entitlement as it was (most `updated` events):
  // the cached tiers are still right, and the announcement is a Redis round trip on every instance.
  if (done.entitlementChanged && done.userId) await deps.entitlements.changed(done.userId);
  return done;
}

interface EventResult {
  outcome: WebhookOutcome.APPLIED | WebhookOutcome.STALE | WebhookOutcome.IGNORED;
  note: string | null;
  userId: string | null;
  subscriptionId: string | null;
  entitlementChanged: boolean;
}

const ignoredResult = (note: string): EventResult => ({ outcome: WebhookOutcome.IGNORED, note, userId: null, subscriptionId: null, entitlementChanged: false });
const duplicate: AppliedEvent = { outcome: 'DUPLICATE', ledgerId: null, userId: null, note: null, entitlementChanged: false };
const appliedEvent = (ledgerId: string, result: EventResult): AppliedEvent => ({
  outcome: result.outcome,
  ledgerId,
  userId: result.userId,
  note: result.note,
  entitlementChanged: result.entitlementChanged,
});

/**
 * Inside the event's transaction. A subscription change claims and settles the ledger row in its own
 * two statements (ChangeLedger), the settle also completing the checkout the event finishes; the
 * other kinds claim it first and settle it last.
 */
async function applyNormalized(sql: Sql, provider: Provider, event: VerifiedWebhook, normalized: NormalizedWebhook): Promise<AppliedEvent> {
  if (normalized.kind !== 'change') {
    const ledgerId = await claimWebhookEvent(sql, provider, event);
    if (!ledgerId) return duplicate;
    const result = normalized.kind === 'payment' ? await applyTossPayment(sql, event, normalized) : ignoredResult(normalized.reason);
    await settleWebhookEvent(sql, ledgerId, result);
    return appliedEvent(ledgerId, result);
  }
  // Lemon Squeezy's subscription resource carries no price: the recurring amount (for revenue
  // metrics) is then our plan's price for the tier the variant maps to.
  const { state } = normalized;
  const price = state.tier && state.amount == null ? priceFor(state.tier, provider) : null;
  const checkoutCompleted = normalized.checkoutReference ? [checkoutCompletion(provider, normalized.checkoutReference)] : [];
  const ledger: ChangeLedger = {
    claim: claimStatement(provider, event),
    settle: (id, applied) => [settleStatement(id, fromApplyResult(applied)), ...checkoutCompleted],
  };
  const applied = await applySubscriptionChange(
    sql,
    { ...state, provider, ...(price ? { amount: price.amount, currency: price.currency } : {}) },
    { type: normalized.type, source: 'webhook', payload: event.payload, amount: normalized.amount ?? null, currency: normalized.currency ?? null },
    ledger,
  );
  if (applied.outcome === 'NOT_CLAIMED') return duplicate;
  return appliedEvent(applied.ledgerId!, fromApplyResult(applied));
}

const checkoutCompletion = (provider: Provider, reference: string): Statement => ({
  sql: `update checkouts set status = 'COMPLETED', completed_at = now() where provider = ? and reference = ? and status = 'OPEN' returning id`,
  params: [provider, reference],
});

function fromApplyResult(applied: ApplyResult): EventResult {
  if (applied.outcome === 'UNKNOWN_SUBSCRIPTION') return ignoredResult('no such subscription here, and the event does not say whose it is');
  return {
    outcome: applied.outcome === 'APPLIED' ? WebhookOutcome.APPLIED : WebhookOutcome.STALE,
    note: applied.outcome === 'STALE' ? 'older than the state the subscription holds' : null,
    userId: applied.userId,
    subscriptionId: applied.after?.id ?? null,
    entitlementChanged: applied.entitlementChanged,
  };
}

/**
 * A Toss payment as read back from the Toss API. We make and record every charge ourselves, so the
 * only news a payment can bring is a cancellation: a full refund of the current period's charge ends
 * the subscription at once; anything else is recorded as ignored.
 */
async function applyTossPayment(sql: Sql, event: VerifiedWebhook, payment: Extract<NormalizedWebhook, { kind: 'payment' }>): Promise<EventResult> {
  const [row] = await sql.query<{ period_index: number; current_period: number | null; provider_subscription_id: string }>(
    `select p.period_index, b.period_index as current_period, s.provider_subscription_id
     from toss_payments p join subscriptions s on s.id = p.subscription_id left join toss_billing b on b.subscription_id = p.subscription_id
     where p.order_id = ? and p.payment_key = ?`,
    [payment.orderId, payment.paymentKey],
  );
  if (!row) return ignoredResult('not a charge of ours');
  await sql.query(`update toss_payments set status = ? where order_id = ?`, [payment.status, payment.orderId]);
  if (payment.status !== 'CANCELED') return ignoredResult(`payment is ${payment.status}: nothing to change`);
  if (row.current_period !== null && row.period_index !== row.current_period) return ignoredResult('refund of a past period: the current one stays paid');
  const applied = await applySubscriptionChange(
    sql,
    { provider: Provider.TOSS, providerSubscriptionId: row.provider_subscription_id, status: SubscriptionStatus.EXPIRED, stateAt: payment.stateAt },
    { type: BillingEventType.REFUNDED, source: 'webhook', payload: event.payload, amount: payment.totalAmount - payment.balanceAmount, currency: 'KRW' },
  );
  return fromApplyResult(applied);
}
