import type { EntityManager } from '@mikro-orm/postgresql';
import { Provider, SubscriptionStatus, Tier } from '../../entities/enums.js';
import { AppError, ErrorCode, badInput, notFound, paymentFailed } from '../../errors.js';
import type { TossChargeResult, TossPaymentView, TossProvider } from '../../providers/toss.js';
import { TossRequestError } from '../../providers/toss.js';
import type { BillingDeps } from './deps.js';
import { decryptBillingKey, encryptBillingKey } from './billing-keys.js';
import { PLANS, priceFor } from '../../plans.js';
import { BillingEventType, applySubscriptionChange, findSubscription, type SubscriptionRecord } from './subscription-state.js';
import { ALREADY_RENEWING, hasRenewingSubscription } from './checkout.js';

/**
 * TossPayments auto-billing (docs/billing.md). Toss keeps no subscriptions: we hold the (encrypted) billing
 * key and charge it every month. Every charge has an order id derived from the subscription and the
 * period (`tossOrderId`), which Toss approves at most once, so no retry, crash or second instance
 * can charge a period twice. No transaction is ever held open across a call to Toss: work is
 * claimed with a short lease first, the call is made, and the outcome is recorded in a transaction
 * that re-checks the claim.
 */


/** Retries after the first failed renewal, in days from that failure; then the subscription expires. */
export const RETRY_DAYS = [1, 3, 7] as const;
const DAY_MS = 24 * 3600 * 1000;
/** A provider error (not a decline) is retried this much later, as the same attempt. */
const PROVIDER_ERROR_BACKOFF_MS = 5 * 60_000;

/** The order id of a subscription's period: a Toss subscription's id is its checkout's id. */
export const tossOrderId = (subscriptionId: string, periodIndex: number): string => `stl-${subscriptionId.replace(/-/g, '')}-${periodIndex}`;

/** Same day of month, clamped to the month's last day (Jan 31 + 1 month = Feb 28/29), in UTC. */
export function addMonths(date: Date, months: number): Date {
  const result = new Date(date.getTime());
  const day = result.getUTCDate();
  result.setUTCDate(1);
  result.setUTCMonth(result.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(result.getUTCFullYear(), result.getUTCMonth() + 1, 0)).getUTCDate();
  result.setUTCDate(Math.min(day, lastDay));
  return result;
}

const leaseMs = (deps: BillingDeps) => Math.max(120_000, deps.config.providerTimeoutMs * 3);

function billingSecret(deps: BillingDeps): Buffer {
  // Config guarantees it whenever Toss is on.
  return deps.config.billingKeySecret!;
}

type Settled = { ok: true; payment: TossPaymentView } | { ok: false; code: string; message: string };

/** Turns a charge answer into paid or declined; an order id Toss already approved is looked up. */
async function settleCharge(toss: TossProvider, result: TossChargeResult, orderId: string, amount: number): Promise<Settled> {
  let payment: TossPaymentView | null;
  if (result.kind === 'DECLINED') return { ok: false, code: result.code, message: result.message };
  if (result.kind === 'DONE') payment = result.payment;
  else payment = await toss.getPaymentByOrderId(orderId);
  if (!payment || payment.status !== 'DONE' || payment.orderId !== orderId || payment.totalAmount !== amount) {
    return { ok: false, code: 'PAYMENT_NOT_DONE', message: `payment for ${orderId} is ${payment?.status ?? 'missing'}` };
  }
  return { ok: true, payment };
}

async function recordPayment(tx: EntityManager, subscriptionId: string, periodIndex: number, payment: TossPaymentView): Promise<void> {
  await tx.execute(
    `insert into toss_payments (order_id, subscription_id, period_index, payment_key, amount, status, approved_at)
     values (?, ?, ?, ?, ?, ?, ?) on conflict (order_id) do nothing`,
    [payment.orderId, subscriptionId, periodIndex, payment.paymentKey, payment.totalAmount, payment.status, payment.approvedAt],
  );
}

interface CheckoutRow {
  id: string;
  user_id: string;
  tier: Tier;
  reference: string;
  billing_key_enc: string | null;
}

/**
 * `confirmTossBilling`: issues the billing key for the authorized card, charges the first month and
 * activates the subscription on DONE. The checkout is claimed first, so two confirmations of one
 * checkout cannot both charge; an unknown, expired or used customerKey changes nothing (NOT_FOUND).
 * After a provider error the checkout is open again and a retry resumes with the same order id.
 */
export async function confirmTossBilling(deps: BillingDeps, em: EntityManager, input: { customerKey: string; authKey: string }): Promise<SubscriptionRecord> {
  const toss = deps.providers.toss();
  if (input.customerKey.length > 255 || input.authKey.length > 255) throw notFound('Checkout');
  const [checkout] = await em.execute<CheckoutRow[]>(
    `update checkouts set status = 'CONFIRMING', claimed_until = ?
     where provider = ? and reference = ? and expires_at > now()
       and (status = 'OPEN' or (status = 'CONFIRMING' and claimed_until < now()))
     returning id, user_id, tier, reference, billing_key_enc`,
    [new Date(Date.now() + leaseMs(deps)), Provider.TOSS, input.customerKey],
  );
  if (!checkout) throw notFound('Checkout');
  const customerKey = checkout.reference;
  const price = priceFor(checkout.tier, Provider.TOSS)!;
  const orderId = tossOrderId(checkout.id, 0);

  let settled: Settled;
  let billingKeyEnc = checkout.billing_key_enc;
  try {
    if (!billingKeyEnc) {
      let billingKey: string;
      try {
        billingKey = await toss.issueBillingKey(input.authKey, customerKey);
      } catch (err) {
        if (err instanceof TossRequestError) throw badInput('authKey', 'This card authorization is unknown, already used or not for this checkout');
        throw err;
      }
      billingKeyEnc = encryptBillingKey(billingSecret(deps), billingKey, customerKey);
      // Kept on the checkout: the authKey works once, so a retry after a failed charge needs it.
      await em.execute(`update checkouts set billing_key_enc = ? where id = ?`, [billingKeyEnc, checkout.id]);
    }
    // An anonymous checkout for an existing email is not refused when the account already pays
    // (that would tell anyone who the customers are), so the charge we make ourselves is: only
    // someone whose card Toss just authorized for this checkout learns why.
    if (await hasRenewingSubscription(em, checkout.user_id)) {
      await em.execute(`update checkouts set status = 'FAILED', claimed_until = null, billing_key_enc = null, error = ? where id = ?`, ['ALREADY_RENEWING', checkout.id]);
      throw badInput('customerKey', `${ALREADY_RENEWING}. Nothing was charged.`);
    }
    const billingKey = decryptBillingKey(billingSecret(deps), billingKeyEnc, customerKey);
    const charge = { customerKey, amount: price.amount, orderId, orderName: `Stellar Memory ${PLANS[checkout.tier].name} (monthly)` };
    settled = await settleCharge(toss, await toss.charge(billingKey, charge, `${orderId}-a0`), orderId, price.amount);
  } catch (err) {
    // Not a decline: we do not know whether the card was charged. Give the checkout back; the retry
    // uses the same order id, so it completes this charge rather than making another.
    await em.execute(`update checkouts set status = 'OPEN', claimed_until = null where id = ? and status = 'CONFIRMING'`, [checkout.id]);
    throw err;
  }

  if (!settled.ok) {
    await em.execute(`update checkouts set status = 'FAILED', claimed_until = null, billing_key_enc = null, error = ? where id = ?`, [
      `${settled.code}: ${settled.message}`,
      checkout.id,
    ]);
    throw paymentFailed(Provider.TOSS, settled.message || settled.code);
  }

  const { payment } = settled;
  const anchor = payment.approvedAt ?? new Date();
  const periodEnd = addMonths(anchor, 1);
  const result = await em.transactional(async (tx) => {
    const applied = await applySubscriptionChange(
      tx,
      {
        provider: Provider.TOSS,
        providerSubscriptionId: customerKey,
        id: checkout.id,
        userId: checkout.user_id,
        tier: checkout.tier,
        status: SubscriptionStatus.ACTIVE,
        currentPeriodEnd: periodEnd,
        cancelAtPeriodEnd: false,
        amount: price.amount,
        currency: price.currency,
        stateAt: new Date(),
      },
      { type: BillingEventType.SUBSCRIPTION_CREATED, source: 'toss', amount: payment.totalAmount, currency: price.currency, payload: { orderId, paymentKey: payment.paymentKey } },
    );
    const subscriptionId = applied.after!.id;
    await tx.execute(
      `insert into toss_billing (subscription_id, customer_key, billing_key_enc, anchor_at, period_index, next_charge_at)
       values (?, ?, ?, ?, 0, ?) on conflict (subscription_id) do nothing`,
      [subscriptionId, customerKey, billingKeyEnc, anchor, periodEnd],
    );
    await recordPayment(tx, subscriptionId, 0, payment);
    await tx.execute(`update checkouts set status = 'COMPLETED', completed_at = now(), claimed_until = null, billing_key_enc = null where id = ?`, [checkout.id]);
    return applied;
  });
  await deps.entitlements.changed(checkout.user_id);
  return result.after!;
}

interface BillingRow {
  subscription_id: string;
  customer_key: string;
  billing_key_enc: string;
  anchor_at: string;
  period_index: number;
  failed_attempts: number;
  first_failed_at: string | null;
}

export interface RenewalReport {
  charged: number;
  declined: number;
  expired: number;
  errors: number;
}

/**
 * Charges every Toss subscription whose next charge is due (the renewal job). Due rows are claimed
 * with `FOR UPDATE SKIP LOCKED` and a lease, so instances running the job at once share the work
 * instead of repeating it; the per-period order id keeps even a repeated charge from going through twice.
 */
export async function renewTossSubscriptions(deps: BillingDeps, em: EntityManager, batch = 50): Promise<RenewalReport> {
  const report: RenewalReport = { charged: 0, declined: 0, expired: 0, errors: 0 };
  const toss = deps.providers.toss();
  for (;;) {
    const claimed = await em.execute<BillingRow[]>(
      `with due as (
         select b.subscription_id from toss_billing b join subscriptions s on s.id = b.subscription_id
         where s.status in ('ACTIVE', 'PAST_DUE') and not s.cancel_at_period_end
           and b.next_charge_at <= now() and (b.claimed_until is null or b.claimed_until < now())
         order by b.next_charge_at
         limit ?
         for update of b skip locked)
       update toss_billing b set claimed_until = ? from due where b.subscription_id = due.subscription_id
       returning b.*`,
      [batch, new Date(Date.now() + leaseMs(deps))],
    );
    for (const row of claimed) {
      const outcome = await renewOne(deps, em, toss, row).catch((err: Error) => {
        deps.logger.error({ subscriptionId: row.subscription_id, err }, 'Toss renewal failed');
        return 'error' as const;
      });
      if (outcome === 'charged') report.charged++;
      else if (outcome === 'declined') report.declined++;
      else if (outcome === 'expired') report.expired++;
      else if (outcome === 'error') report.errors++;
    }
    if (claimed.length < batch) return report;
  }
}

async function renewOne(deps: BillingDeps, em: EntityManager, toss: TossProvider, row: BillingRow): Promise<'charged' | 'declined' | 'expired' | 'error' | 'skipped'> {
  const subscription = await findSubscription(em, row.subscription_id);
  if (!subscription) return 'skipped';
  const period = row.period_index + 1;
  const orderId = tossOrderId(subscription.id, period);
  const price = priceFor(subscription.tier, Provider.TOSS)!;
  const billingKey = decryptBillingKey(billingSecret(deps), row.billing_key_enc, row.customer_key);
  const charge = { customerKey: row.customer_key, amount: price.amount, orderId, orderName: `Stellar Memory ${PLANS[subscription.tier].name} (monthly)` };

  let settled: Settled;
  try {
    // One idempotency key per attempt: a repeated request replays its answer, a later retry is new.
    settled = await settleCharge(toss, await toss.charge(billingKey, charge, `${orderId}-a${row.failed_attempts}`), orderId, price.amount);
  } catch (err) {
    const message = err instanceof AppError && err.code === ErrorCode.PROVIDER_ERROR ? 'provider error' : (err as Error).message;
    await em.execute(
      `update toss_billing set claimed_until = null, next_charge_at = greatest(next_charge_at, ?), last_error = ?
       where subscription_id = ? and period_index = ?`,
      [new Date(Date.now() + PROVIDER_ERROR_BACKOFF_MS), message, subscription.id, row.period_index],
    );
    deps.logger.warn({ subscriptionId: subscription.id, orderId, err: message }, 'Toss renewal not completed; retrying later');
    return 'error';
  }

  const outcome = await em.transactional(async (tx) => {
    // Still this period and still ours to record? (Another instance may have recorded it after our lease ran out.)
    const [current] = await tx.execute<BillingRow[]>(`select * from toss_billing where subscription_id = ? and period_index = ? for update`, [
      subscription.id,
      row.period_index,
    ]);
    if (!current) return 'skipped' as const;
    const stateAt = new Date();
    const base = { provider: Provider.TOSS, providerSubscriptionId: subscription.providerSubscriptionId, stateAt };
    if (settled.ok) {
      const periodEnd = addMonths(new Date(current.anchor_at), period + 1);
      await applySubscriptionChange(
        tx,
        { ...base, status: SubscriptionStatus.ACTIVE, currentPeriodEnd: periodEnd },
        { type: BillingEventType.PAYMENT_SUCCEEDED, source: 'toss', amount: settled.payment.totalAmount, currency: price.currency, payload: { orderId, paymentKey: settled.payment.paymentKey } },
      );
      await tx.execute(
        `update toss_billing set period_index = ?, failed_attempts = 0, first_failed_at = null, next_charge_at = ?, claimed_until = null, last_error = null
         where subscription_id = ?`,
        [period, periodEnd, subscription.id],
      );
      await recordPayment(tx, subscription.id, period, settled.payment);
      return 'charged' as const;
    }
    const failures = current.failed_attempts + 1;
    const firstFailedAt = current.first_failed_at ? new Date(current.first_failed_at) : stateAt;
    const failure = `${settled.code}: ${settled.message}`;
    if (failures > RETRY_DAYS.length) {
      await applySubscriptionChange(tx, { ...base, status: SubscriptionStatus.EXPIRED }, { type: BillingEventType.SUBSCRIPTION_EXPIRED, source: 'toss', payload: { orderId, failure } });
      await tx.execute(`update toss_billing set failed_attempts = ?, claimed_until = null, last_error = ? where subscription_id = ?`, [failures, failure, subscription.id]);
      return 'expired' as const;
    }
    await applySubscriptionChange(tx, { ...base, status: SubscriptionStatus.PAST_DUE }, { type: BillingEventType.PAYMENT_FAILED, source: 'toss', payload: { orderId, failure } });
    await tx.execute(
      `update toss_billing set failed_attempts = ?, first_failed_at = ?, next_charge_at = ?, claimed_until = null, last_error = ? where subscription_id = ?`,
      [failures, firstFailedAt, new Date(firstFailedAt.getTime() + RETRY_DAYS[failures - 1]! * DAY_MS), failure, subscription.id],
    );
    return 'declined' as const;
  });
  if (outcome !== 'skipped') await deps.entitlements.changed(subscription.userId);
  return outcome;
}
