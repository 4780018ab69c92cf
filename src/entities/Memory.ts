import { randomUUID } from 'node:crypto';
import { Entity, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * One memory (SPEC §7). The table also has `search` (a generated tsvector) and, with pgvector,
 * `embedding`; both live only in SQL (src/services/recall.ts), so they are not mapped here.
 * Reads go through plain SQL that also computes the orbit score; `em.map` turns those rows into this.
 */
@Entity({ tableName: 'memories' })
export class Memory {
  [OptionalProps]?: 'id' | 'createdAt' | 'updatedAt' | 'lastRecalledAt' | 'recallCount' | 'expiresAt' | 'tags' | 'metadata';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  userId!: string;

  @Property({ type: 'uuid' })
  agentId!: string;

  /** Trimmed; identical content is stored once per agent. */
  @Property({ type: 'text' })
  content!: string;

  @Property({ type: 'double' })
  importance!: number;

  @Property({ type: 'text[]' })
  tags: string[] = [];

  @Property({ type: 'json', nullable: true })
  metadata: Record<string, unknown> | null = null;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'Date', columnType: 'timestamptz' })
  updatedAt: Date = new Date();

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  lastRecalledAt: Date | null = null;

  @Property({ type: 'integer' })
  recallCount: number = 0;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  expiresAt: Date | null = null;
}
