import { Ctx, Directive, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../../context.js';
import { AdminMetricsType } from '../../schema/types/admin.js';
import { adminMetrics } from '../../../services/billing/admin-metrics.js';

@Resolver()
export class AdminMetricsResolver {
  @Query(() => AdminMetricsType)
  @Directive('@admin')
  async adminMetrics(@Ctx() ctx: GraphQLContext): Promise<AdminMetricsType> {
    return adminMetrics(ctx.em);
  }
}
