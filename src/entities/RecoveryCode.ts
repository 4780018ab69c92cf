import { Entity, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

/** At most one live recovery code per user; a new request replaces the previous one. */
@Entity({ tableName: 'recovery_codes' })
export class RecoveryCode {
  [OptionalProps]?: 'attempts' | 'createdAt' | 'lockedUntil';

  @PrimaryKey({ type: 'uuid' })
  userId!: string;

  /** SHA-256 of the user id and the code: the 6 digits are never stored in clear. */
  @Property({ type: 'text' })
  codeHash!: string;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  expiresAt!: Date;

  @Property({ type: 'integer' })
  attempts: number = 0;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  createdAt: Date = new Date();

  /**
   * Recovery refused until then (10 failures within 24 hours). The failures themselves
   * (`recent_failures`, a timestamptz array) are read and written in SQL only (services/recovery.ts).
   */
  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  lockedUntil?: Date | null;
}
