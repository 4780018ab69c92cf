import { Ctx, Directive, Query, Resolver } from 'type-graphql';
import { requirePrincipal, type GraphQLContext } from '../../context.js';
import { SubscriptionType } from '../../schema/types/subscription.js';
import { currentSubscription } from '../../../services/billing/subscriptions.js';

@Resolver()
export class SubscriptionResolver {
  @Query(() => SubscriptionType, { nullable: true, description: 'The newest subscription that has not expired.' })
  @Directive('@auth')
  @Directive('@rateLimit')
  async subscription(@Ctx() ctx: GraphQLContext): Promise<SubscriptionType | null> {
    return currentSubscription(ctx.em, requirePrincipal(ctx).userId);
  }
}
