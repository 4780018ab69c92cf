import { randomUUID } from 'node:crypto';
import { Entity, Enum, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Provider, SubscriptionStatus, Tier } from './enums.js';

/** A paid plan held through one provider. Rows are filled by billing and webhooks. */
@Entity({ tableName: 'subscriptions' })
@Unique({ properties: ['provider', 'providerSubscriptionId'] })
export class Subscription {
  [OptionalProps]?:
    | 'id'
    | 'createdAt'
    | 'updatedAt'
    | 'cancelAtPeriodEnd'
    | 'currentPeriodEnd'
    | 'pastDueSince'
    | 'stateAt'
    | 'providerCustomerId'
    | 'amount'
    | 'currency';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  userId!: string;

  @Enum({ items: () => Provider, nativeEnumName: undefined, type: 'text' })
  provider!: Provider;

  @Property({ type: 'text' })
  providerSubscriptionId!: string;

  @Property({ type: 'text', nullable: true })
  providerCustomerId: string | null = null;

  @Enum({ items: () => Tier, type: 'text' })
  tier!: Tier;

  @Enum({ items: () => SubscriptionStatus, type: 'text' })
  status!: SubscriptionStatus;

  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  currentPeriodEnd: Date | null = null;

  @Property({ type: 'boolean' })
  cancelAtPeriodEnd: boolean = false;

  /** When the subscription became PAST_DUE: the grace period counts from here. */
  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  pastDueSince: Date | null = null;

  /** Provider timestamp of the state held here; an older event never overwrites it. */
  @Property({ type: 'Date', columnType: 'timestamptz', nullable: true })
  stateAt: Date | null = null;

  /** Recurring price in the currency's minor unit, for revenue metrics. */
  @Property({ type: 'integer', nullable: true })
  amount: number | null = null;

  @Property({ type: 'text', nullable: true })
  currency: string | null = null;

  @Property({ type: 'Date', columnType: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'Date', columnType: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
