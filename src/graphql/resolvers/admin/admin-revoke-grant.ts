import { Arg, Ctx, Directive, ID, Mutation, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../../context.js';
import { GrantType } from '../../schema/types/admin.js';
import { revokeGrant } from '../../../services/billing/grants.js';

@Resolver()
export class AdminRevokeGrantResolver {
  @Mutation(() => GrantType)
  @Directive('@admin')
  // Declared in reverse: the published schema (schema.graphql) lists id, reason.
  async adminRevokeGrant(
    @Ctx() ctx: GraphQLContext,
    @Arg('reason', () => String) reason: string,
    @Arg('id', () => ID) id: string,
  ): Promise<GrantType> {
    return revokeGrant(ctx.rt, ctx.em, id, reason);
  }
}
