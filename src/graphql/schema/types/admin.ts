import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { Provider, Tier, WebhookOutcome } from '../enums.js';
import { DateTimeScalar } from '../scalars.js';
import { PageInfoType } from './pagination.js';
import type { WebhookEventFilter } from '../../../services/billing/webhooks/webhook-ledger.js';

/** The operator's types (admin operations, docs/operations.md). */

@ObjectType('Grant', { description: 'A plan given by hand by the operator, with its reason.' })
export class GrantType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  userId!: string;

  @Field(() => Tier)
  tier!: Tier;

  @Field(() => DateTimeScalar, { nullable: true })
  expiresAt!: Date | null;

  @Field(() => String)
  reason!: string;

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  revokedAt!: Date | null;
}

@ObjectType('WebhookEvent')
export class WebhookEventType {
  @Field(() => ID)
  id!: string;

  @Field(() => Provider)
  provider!: Provider;

  @Field(() => String)
  eventId!: string;

  @Field(() => String)
  type!: string;

  @Field(() => WebhookOutcome)
  outcome!: WebhookOutcome;

  @Field(() => DateTimeScalar)
  receivedAt!: Date;

  @Field(() => String, { nullable: true, description: 'Why it failed (FAILED), or why nothing was applied (IGNORED, STALE).' })
  error!: string | null;
}

@ObjectType('WebhookEventEdge')
export class WebhookEventEdgeType {
  @Field(() => String)
  cursor!: string;

  @Field(() => WebhookEventType)
  node!: WebhookEventType;
}

@ObjectType('WebhookEventConnection')
export class WebhookEventConnectionType {
  @Field(() => [WebhookEventEdgeType])
  edges!: WebhookEventEdgeType[];

  @Field(() => PageInfoType)
  pageInfo!: PageInfoType;

  /** Resolved by AdminWebhookEventsResolver.totalCount, only when asked for. */
  @Field(() => Int)
  totalCount?: number;

  filter!: WebhookEventFilter;
}

@ObjectType('TierCount')
export class TierCountType {
  @Field(() => Tier)
  tier!: Tier;

  @Field(() => Int)
  count!: number;
}

@ObjectType('SubscriptionCount')
export class SubscriptionCountType {
  @Field(() => Provider)
  provider!: Provider;

  @Field(() => Tier)
  tier!: Tier;

  @Field(() => Int)
  count!: number;
}

@ObjectType('Money', { description: "An amount in the currency's minor unit (cents for USD, won for KRW)." })
export class MoneyType {
  @Field(() => Int)
  amount!: number;

  @Field(() => String)
  currency!: string;
}

@ObjectType('OutcomeCount')
export class OutcomeCountType {
  @Field(() => WebhookOutcome)
  outcome!: WebhookOutcome;

  @Field(() => Int)
  count!: number;
}

@ObjectType('AdminMetrics')
export class AdminMetricsType {
  @Field(() => [TierCountType], { description: 'Every account by its effective tier now.' })
  usersByTier!: TierCountType[];

  @Field(() => [SubscriptionCountType], { description: 'Entitled subscriptions (ACTIVE, PAST_DUE in grace, CANCELED before their period end).' })
  activeSubscriptions!: SubscriptionCountType[];

  @Field(() => [MoneyType], { description: 'Monthly price of the subscriptions that will renew (ACTIVE or PAST_DUE in grace, not cancelled).' })
  monthlyRecurringRevenue!: MoneyType[];

  @Field(() => [OutcomeCountType], { description: 'Ledger rows received in the last 24 hours, by their outcome now.' })
  webhookOutcomes24h!: OutcomeCountType[];
}

@ObjectType('ReconcileReport')
export class ReconcileReportType {
  @Field(() => Provider)
  provider!: Provider;

  @Field(() => Int)
  checked!: number;

  @Field(() => Int)
  corrected!: number;
}

@InputType('GrantTierInput')
export class GrantTierInput {
  @Field(() => String)
  email!: string;

  @Field(() => Tier)
  tier!: Tier;

  @Field(() => DateTimeScalar, { nullable: true })
  expiresAt?: Date | null;

  @Field(() => String)
  reason!: string;
}
