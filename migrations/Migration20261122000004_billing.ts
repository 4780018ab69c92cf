import { Migration } from '@mikro-orm/migrations';

/**
 * Billing (docs/billing.md): checkouts started by `checkout`, TossPayments billing keys and charges, and the
 * audit trail of every subscription or grant change (`subscription_events`, docs/billing.md).
 */
export class Migration20261122000004_billing extends Migration {
  override up(): void {
    // A checkout as started: who buys which tier through which provider. Written only after the
    // provider accepted it, so a failed provider call leaves nothing behind. For Toss and Demo it is
    // the authority the payment completes against (the tier comes from here, never from the browser).
    this.addSql(`
      create table checkouts (
        id uuid primary key,
        user_id uuid not null references users(id) on delete cascade,
        provider text not null,
        tier text not null,
        reference text not null,
        status text not null check (status in ('OPEN', 'CONFIRMING', 'COMPLETED', 'FAILED')),
        success_url text not null,
        cancel_url text not null,
        billing_key_enc text,
        claimed_until timestamptz,
        error text,
        created_at timestamptz not null default now(),
        expires_at timestamptz not null,
        completed_at timestamptz,
        unique (provider, reference)
      )`);
    this.addSql(`create index checkouts_user_idx on checkouts (user_id)`);

    // One row per Toss subscription: the encrypted billing key and the renewal schedule.
    this.addSql(`
      create table toss_billing (
        subscription_id uuid primary key references subscriptions(id) on delete cascade,
        customer_key text not null unique,
        billing_key_enc text not null,
        anchor_at timestamptz not null,
        period_index integer not null default 0,
        next_charge_at timestamptz not null,
        failed_attempts integer not null default 0,
        first_failed_at timestamptz,
        claimed_until timestamptz,
        last_error text
      )`);
    this.addSql(`create index toss_billing_due_idx on toss_billing (next_charge_at)`);

    // Every approved Toss charge; the order id is derived from the subscription and the period.
    this.addSql(`
      create table toss_payments (
        order_id text primary key,
        subscription_id uuid not null references subscriptions(id) on delete cascade,
        period_index integer not null,
        payment_key text not null unique,
        amount integer not null,
        status text not null,
        approved_at timestamptz,
        created_at timestamptz not null default now(),
        unique (subscription_id, period_index)
      )`);

    this.addSql(`
      create table subscription_events (
        id uuid primary key default gen_random_uuid(),
        user_id uuid not null references users(id) on delete cascade,
        subscription_id uuid references subscriptions(id) on delete set null,
        grant_id uuid references grants(id) on delete set null,
        provider text,
        type text not null,
        source text not null,
        tier_before text not null,
        tier_after text not null,
        status_before text,
        status_after text,
        amount integer,
        currency text,
        payload jsonb,
        created_at timestamptz not null default now()
      )`);
    this.addSql(`create index subscription_events_user_idx on subscription_events (user_id, created_at)`);
    this.addSql(`create index subscription_events_subscription_idx on subscription_events (subscription_id)`);
  }

  override down(): void {
    for (const table of ['subscription_events', 'toss_payments', 'toss_billing', 'checkouts']) this.addSql(`drop table ${table}`);
  }
}
