import { randomUUID } from 'node:crypto';
import { Entity, Enum, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { Tier } from './enums.js';

/** A plan given by hand by the operator (support, partners, trials), with the reason kept. */
@Entity({ tableName: 'grants' })
export class Grant {
  [OptionalProps]?: 'id' | 'createdAt' | 'expiresAt' | 'revokedAt' | 'revokeReason';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  userId!: string;

  @Enum({ items: () => Tier, type: 'text' })
  tier!: Tier;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  expiresAt: Date | null = null;

  @Property({ type: 'text' })
  reason!: string;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  revokedAt: Date | null = null;

  @Property({ type: 'text', nullable: true })
  revokeReason: string | null = null;
}
