import { Ctx, Directive, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { Tier } from '../../../entities/enums.js';
import type { GraphQLContext } from '../../context.js';
import { getUser } from '../../../services/accounts/accounts.js';
import { currentSubscription } from '../../../services/billing/subscriptions.js';
import { SubscriptionType } from '../../schema/types/subscription.js';
import { UserType } from '../../schema/types/account.js';
import { requirePrincipal } from '../../context.js';

@Resolver(() => UserType)
export class MeResolver {
  @Query(() => UserType)
  @Directive('@auth')
  @Directive('@rateLimit')
  async me(@Ctx() ctx: GraphQLContext): Promise<UserType> {
    return (await getUser(ctx.em, requirePrincipal(ctx).userId)) as UserType;
  }

  @FieldResolver(() => Tier)
  async tier(@Root() user: UserType, @Ctx() ctx: GraphQLContext): Promise<Tier> {
    const principal = ctx.caller.kind === 'user' ? ctx.caller.principal : null;
    if (principal?.userId === user.id) return (await ctx.entitlement()).tier;
    return ctx.rt.entitlements.tierOf(user.id);
  }

  @FieldResolver(() => SubscriptionType, { nullable: true })
  async subscription(@Root() user: UserType, @Ctx() ctx: GraphQLContext): Promise<SubscriptionType | null> {
    return currentSubscription(ctx.em, user.id);
  }
}
