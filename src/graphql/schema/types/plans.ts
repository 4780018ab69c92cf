import { Field, Int, ObjectType } from 'type-graphql';
import { Provider, Tier } from '../enums.js';
import { DateTimeScalar } from '../scalars.js';

@ObjectType('TierLimits', { description: 'A null limit means no limit (self-hosted mode only).' })
export class TierLimitsType {
  @Field(() => Int, { nullable: true })
  maxMemories!: number | null;

  @Field(() => Int, { nullable: true })
  maxAgents!: number | null;

  @Field(() => Int, { nullable: true })
  requestsPerMinute!: number | null;

  @Field(() => Int, { nullable: true })
  maxApiKeys!: number | null;
}

@ObjectType('Price')
export class PriceType {
  @Field(() => Provider)
  provider!: Provider;

  @Field(() => Int, { description: "In the currency's minor unit: cents for USD, won for KRW." })
  amount!: number;

  @Field(() => String)
  currency!: string;

  @Field(() => String)
  interval!: string;
}

@ObjectType('Plan')
export class PlanType {
  @Field(() => Tier)
  tier!: Tier;

  @Field(() => String)
  name!: string;

  @Field(() => TierLimitsType)
  limits!: TierLimitsType;

  @Field(() => [PriceType])
  prices!: PriceType[];
}

@ObjectType('Usage')
export class UsageType {
  @Field(() => Tier)
  tier!: Tier;

  @Field(() => TierLimitsType)
  limits!: TierLimitsType;

  @Field(() => Int)
  memories!: number;

  @Field(() => Int)
  agents!: number;

  @Field(() => Int)
  apiKeys!: number;

  @Field(() => Int)
  requestsThisMinute!: number;

  @Field(() => DateTimeScalar)
  rateLimitResetAt!: Date;

  @Field(() => DateTimeScalar)
  periodStart!: Date;

  @Field(() => Int)
  requestsThisPeriod!: number;

  @Field(() => Int)
  storesThisPeriod!: number;

  @Field(() => Int)
  recallsThisPeriod!: number;
}
