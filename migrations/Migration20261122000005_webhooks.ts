import { Migration } from '@mikro-orm/migrations';

/**
 * The webhook ledger (docs/billing.md): every verified provider event, once per (provider, event id). The
 * row and the state change it causes commit in one transaction; a failed event stays here as FAILED
 * (with its payload) until a redelivery or `adminReplayWebhookEvent` applies it.
 */
export class Migration20261122000005_webhooks extends Migration {
  override up(): void {
    this.addSql(`
      create table webhook_events (
        id uuid primary key,
        provider text not null,
        event_id text not null,
        type text not null,
        outcome text not null check (outcome in ('APPLIED', 'STALE', 'IGNORED', 'FAILED')),
        payload jsonb not null,
        error text,
        attempts integer not null default 1,
        user_id uuid references users(id) on delete set null,
        subscription_id uuid references subscriptions(id) on delete set null,
        received_at timestamptz not null default now(),
        processed_at timestamptz,
        unique (provider, event_id)
      )`);
    // The admin listing (newest first, optionally by outcome) and the 24-hour outcome counts.
    this.addSql(`create index webhook_events_received_idx on webhook_events (received_at desc, id desc)`);
    this.addSql(`create index webhook_events_outcome_idx on webhook_events (outcome, received_at desc)`);
  }

  override down(): void {
    this.addSql('drop table webhook_events');
  }
}
