import { Field, ID, ObjectType } from 'type-graphql';
import { Provider, SubscriptionStatus, Tier } from '../enums.js';
import { DateTimeScalar } from '../scalars.js';

@ObjectType('Subscription')
export class SubscriptionType {
  @Field(() => ID)
  id!: string;

  @Field(() => Provider)
  provider!: Provider;

  @Field(() => Tier)
  tier!: Tier;

  @Field(() => SubscriptionStatus)
  status!: SubscriptionStatus;

  @Field(() => DateTimeScalar, { nullable: true })
  currentPeriodEnd!: Date | null;

  @Field(() => Boolean)
  cancelAtPeriodEnd!: boolean;
}
