import { Arg, Ctx, Extensions, Field, InputType, Mutation, Resolver, UseMiddleware } from 'type-graphql';
import type { GraphQLContext } from '../../context.js';
import { SubscriptionType } from '../../schema/types/subscription.js';
import { confirmTossBilling } from '../../../services/billing/toss-billing.js';
import { BillingOnly, PUBLIC_RATE_LIMIT } from '../billing-only.js';

@InputType('ConfirmTossBillingInput')
export class ConfirmTossBillingInput {
  @Field(() => String)
  customerKey!: string;

  @Field(() => String)
  authKey!: string;
}

@Resolver()
export class ConfirmTossBillingResolver {
  @Mutation(() => SubscriptionType, { description: 'Finishes a Toss checkout: issues the billing key, charges the first month, activates the plan.' })
  @Extensions(PUBLIC_RATE_LIMIT)
  @UseMiddleware(BillingOnly)
  async confirmTossBilling(@Arg('input', () => ConfirmTossBillingInput) input: ConfirmTossBillingInput, @Ctx() ctx: GraphQLContext): Promise<SubscriptionType> {
    return confirmTossBilling(ctx.rt, ctx.em, input);
  }
}
