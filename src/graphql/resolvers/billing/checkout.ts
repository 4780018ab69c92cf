import { Arg, Ctx, Extensions, Field, InputType, Mutation, Resolver, UseMiddleware } from 'type-graphql';
import { Provider, Tier } from '../../../entities/enums.js';
import { unauthenticated } from '../../../errors.js';
import type { GraphQLContext } from '../../context.js';
import { CheckoutSessionType } from '../../schema/types/billing.js';
import { createCheckout } from '../../../services/billing/checkout.js';
import { BillingOnly, PUBLIC_RATE_LIMIT } from '../billing-only.js';

@InputType('CheckoutInput')
export class CheckoutInput {
  @Field(() => Tier)
  tier!: Tier;

  @Field(() => Provider)
  provider!: Provider;

  @Field(() => String, { nullable: true, description: 'Required without an API key; ignored with one.' })
  email?: string | null;

  @Field(() => String, { nullable: true })
  successUrl?: string | null;

  @Field(() => String, { nullable: true })
  cancelUrl?: string | null;
}

@Resolver()
export class CheckoutResolver {
  @Mutation(() => CheckoutSessionType, { description: 'Starts buying a plan: for the caller, or for an email (a new one gets an account and its first key).' })
  @Extensions(PUBLIC_RATE_LIMIT)
  @UseMiddleware(BillingOnly)
  async checkout(@Arg('input', () => CheckoutInput) input: CheckoutInput, @Ctx() ctx: GraphQLContext): Promise<CheckoutSessionType> {
    // A key that was sent but is not a user key is refused rather than ignored.
    if (ctx.caller.kind === 'invalid' || ctx.caller.kind === 'admin') throw unauthenticated();
    const userId = ctx.caller.kind === 'user' ? ctx.caller.principal.userId : null;
    return createCheckout(ctx.rt, ctx.em, userId, input);
  }
}
