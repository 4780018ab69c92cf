import { Field, ID, ObjectType } from 'type-graphql';
import { Tier } from '../enums.js';
import { DateTimeScalar } from '../scalars.js';
import { SubscriptionType } from './subscription.js';

@ObjectType('User')
export class UserType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  email!: string;

  /** Resolved per user by MeResolver.tier. */
  @Field(() => Tier)
  tier?: Tier;

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  @Field(() => SubscriptionType, { nullable: true })
  subscription?: SubscriptionType | null;
}

@ObjectType('ApiKey')
export class ApiKeyType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String)
  prefix!: string;

  @Field(() => String)
  lastFour!: string;

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  lastUsedAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  revokedAt!: Date | null;
}

@ObjectType('CreatedApiKey')
export class CreatedApiKeyType {
  @Field(() => ApiKeyType)
  apiKey!: ApiKeyType;

  @Field(() => String, { description: 'The secret, shown this once and never again.' })
  secret!: string;
}

@ObjectType('RegisterPayload')
export class RegisterPayloadType {
  @Field(() => UserType)
  user!: UserType;

  @Field(() => CreatedApiKeyType)
  apiKey!: CreatedApiKeyType;
}
