import { Arg, Ctx, Directive, ID, Mutation, Resolver, UseMiddleware } from 'type-graphql';
import { requirePrincipal, type GraphQLContext } from '../../context.js';
import { revokeApiKey } from '../../../services/accounts/api-keys.js';
import { ApiKeyType } from '../../schema/types/account.js';
import { BillingOnly } from '../billing-only.js';

@Resolver()
export class RevokeApiKeyResolver {
  @Mutation(() => ApiKeyType, { description: 'Immediate on every server instance. Revoking a revoked key returns it unchanged.' })
  @Directive('@auth')
  @Directive('@rateLimit')
  @UseMiddleware(BillingOnly)
  async revokeApiKey(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<ApiKeyType> {
    return revokeApiKey(ctx.em, ctx.rt.bus, requirePrincipal(ctx).userId, id);
  }
}
