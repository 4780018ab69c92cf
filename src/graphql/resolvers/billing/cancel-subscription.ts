import { Ctx, Directive, Mutation, Resolver, UseMiddleware } from 'type-graphql';
import { requirePrincipal, type GraphQLContext } from '../../context.js';
import { SubscriptionType } from '../../schema/types/subscription.js';
import { cancelSubscription } from '../../../services/billing/cancel-subscription.js';
import { BillingOnly } from '../billing-only.js';

@Resolver()
export class CancelSubscriptionResolver {
  @Mutation(() => SubscriptionType, { description: 'Cancels at the end of the paid period; the plan stays until currentPeriodEnd.' })
  @Directive('@auth')
  @Directive('@tier(min: PRO)')
  @UseMiddleware(BillingOnly)
  async cancelSubscription(@Ctx() ctx: GraphQLContext): Promise<SubscriptionType> {
    return cancelSubscription(ctx.rt, ctx.em, requirePrincipal(ctx).userId);
  }
}
