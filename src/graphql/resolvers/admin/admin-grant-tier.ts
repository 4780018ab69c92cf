import { Arg, Ctx, Directive, Mutation, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../../context.js';
import { GrantTierInput, GrantType } from '../../schema/types/admin.js';
import { grantTier } from '../../../services/billing/grants.js';

@Resolver()
export class AdminGrantTierResolver {
  @Mutation(() => GrantType, { description: 'Gives an account a plan by hand, until expiresAt (or until revoked), with the reason kept.' })
  @Directive('@admin')
  async adminGrantTier(@Ctx() ctx: GraphQLContext, @Arg('input', () => GrantTierInput) input: GrantTierInput): Promise<GrantType> {
    return grantTier(ctx.rt, ctx.em, input);
  }
}
