import { Migration } from '@mikro-orm/migrations';

/** Plan enforcement (docs/api.md): subscriptions and grants behind the effective tier, quotas, rate limits, usage. */
export class Migration20261122000002_plans extends Migration {
  override up(): void {
    this.addSql(`
      create table subscriptions (
        id uuid primary key,
        user_id uuid not null references users(id) on delete cascade,
        provider text not null,
        provider_subscription_id text not null,
        provider_customer_id text,
        tier text not null,
        status text not null,
        current_period_end timestamptz,
        cancel_at_period_end boolean not null default false,
        past_due_since timestamptz,
        state_at timestamptz,
        amount integer,
        currency text,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        unique (provider, provider_subscription_id)
      )`);
    this.addSql(`create index subscriptions_user_idx on subscriptions (user_id)`);
    this.addSql(`
      create table grants (
        id uuid primary key,
        user_id uuid not null references users(id) on delete cascade,
        tier text not null,
        expires_at timestamptz,
        reason text not null,
        created_at timestamptz not null default now(),
        revoked_at timestamptz,
        revoke_reason text
      )`);
    this.addSql(`create index grants_user_idx on grants (user_id)`);
    // One row per user and resource; a store changes it in the same transaction as its write,
    // with a conditional update, so the cap holds under any concurrency.
    this.addSql(`
      create table quota_counters (
        user_id uuid not null references users(id) on delete cascade,
        resource text not null,
        used integer not null default 0 check (used >= 0),
        primary key (user_id, resource)
      )`);
    // Fixed-window request counters when Redis is not configured.
    this.addSql(`
      create unlogged table rate_limit_windows (
        bucket text not null,
        window_start timestamptz not null,
        used integer not null,
        primary key (bucket, window_start)
      )`);
    this.addSql(`
      create table usage_periods (
        user_id uuid not null references users(id) on delete cascade,
        period date not null,
        requests bigint not null default 0,
        stores bigint not null default 0,
        recalls bigint not null default 0,
        primary key (user_id, period)
      )`);
  }

  override down(): void {
    for (const table of ['usage_periods', 'rate_limit_windows', 'quota_counters', 'grants', 'subscriptions']) {
      this.addSql(`drop table ${table}`);
    }
  }
}
