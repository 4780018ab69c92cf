import { Ctx, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../../context.js';
import { enabledProviders, listPlans } from '../../../plans.js';
import { PlanType } from '../../schema/types/plans.js';

@Resolver()
export class PlansResolver {
  @Query(() => [PlanType], { description: 'Every plan with its limits, priced for each payment provider that is on.' })
  plans(@Ctx() ctx: GraphQLContext): PlanType[] {
    return listPlans(enabledProviders(ctx.rt.config));
  }
}
