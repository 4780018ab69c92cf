import { Migration } from '@mikro-orm/migrations';

/**
 * Recovery lockout (docs/security.md): the times of an account's failed recovery attempts in the
 * last 24 hours, across codes (a new code keeps them), and the end of a lock once they reach 10.
 * Revoked keys: listed for 30 days by owner, then pruned by age.
 */
export class Migration20261205000001_security extends Migration {
  override up(): void {
    this.addSql(`alter table recovery_codes add column recent_failures timestamptz[] not null default '{}'`);
    this.addSql(`alter table recovery_codes add column locked_until timestamptz`);
    this.addSql(`create index api_keys_user_revoked_idx on api_keys (user_id, revoked_at desc) where revoked_at is not null`);
    this.addSql(`create index api_keys_revoked_idx on api_keys (revoked_at) where revoked_at is not null`);
  }

  override down(): void {
    this.addSql(`drop index api_keys_revoked_idx`);
    this.addSql(`drop index api_keys_user_revoked_idx`);
    this.addSql(`alter table recovery_codes drop column locked_until`);
    this.addSql(`alter table recovery_codes drop column recent_failures`);
  }
}
