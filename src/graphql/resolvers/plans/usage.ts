import { Ctx, Directive, Query, Resolver } from 'type-graphql';
import { requirePrincipal, type GraphQLContext } from '../../context.js';
import { usageReport } from '../../../services/limits/usage-report.js';
import { UsageType } from '../../schema/types/plans.js';

@Resolver()
export class UsageResolver {
  @Query(() => UsageType)
  @Directive('@auth')
  @Directive('@rateLimit')
  async usage(@Ctx() ctx: GraphQLContext): Promise<UsageType> {
    return usageReport(ctx.em, ctx.rt.usage, requirePrincipal(ctx).userId, await ctx.entitlement(), ctx.rateLimit);
  }
}
