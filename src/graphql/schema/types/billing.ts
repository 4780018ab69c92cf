import { Field, Int, ObjectType } from 'type-graphql';
import { Provider } from '../enums.js';
import { CreatedApiKeyType } from './account.js';

@ObjectType('TossCheckout', { description: "What the Toss browser SDK's billing authorization needs." })
export class TossCheckoutType {
  @Field(() => String)
  clientKey!: string;

  @Field(() => String)
  customerKey!: string;

  @Field(() => Int, { description: 'First month, in KRW.' })
  amount!: number;

  @Field(() => String)
  orderName!: string;

  @Field(() => String)
  successUrl!: string;

  @Field(() => String)
  failUrl!: string;
}

@ObjectType('CheckoutSession')
export class CheckoutSessionType {
  @Field(() => Provider)
  provider!: Provider;

  @Field(() => String, { description: "The provider's checkout id (Stripe session, Lemon Squeezy checkout); ours for Toss and Demo." })
  sessionId!: string;

  @Field(() => String, { nullable: true, description: 'Where to send the buyer; null for Toss (use `toss`).' })
  url!: string | null;

  @Field(() => TossCheckoutType, { nullable: true })
  toss!: TossCheckoutType | null;

  @Field(() => CreatedApiKeyType, { nullable: true, description: 'The first key of an account this checkout created, shown once.' })
  apiKey!: CreatedApiKeyType | null;
}

@ObjectType('BillingPortal')
export class BillingPortalType {
  @Field(() => String)
  url!: string;
}
