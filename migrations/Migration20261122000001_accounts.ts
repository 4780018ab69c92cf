import { Migration } from '@mikro-orm/migrations';

/** Accounts, API keys and recovery codes (docs/api.md). */
export class Migration20261122000001_accounts extends Migration {
  override up(): void {
    this.addSql(`
      create table users (
        id uuid primary key,
        email text not null unique,
        created_at timestamptz not null default now()
      )`);
    this.addSql(`
      create table api_keys (
        id uuid primary key,
        user_id uuid not null references users(id) on delete cascade,
        name text not null,
        key_hash text not null unique,
        prefix text not null,
        last_four text not null,
        created_at timestamptz not null default now(),
        last_used_at timestamptz,
        revoked_at timestamptz
      )`);
    this.addSql(`create index api_keys_user_active_idx on api_keys (user_id) where revoked_at is null`);
    this.addSql(`
      create table recovery_codes (
        user_id uuid primary key references users(id) on delete cascade,
        code_hash text not null,
        expires_at timestamptz not null,
        attempts integer not null default 0,
        created_at timestamptz not null default now()
      )`);
  }

  override down(): void {
    this.addSql('drop table recovery_codes');
    this.addSql('drop table api_keys');
    this.addSql('drop table users');
  }
}
