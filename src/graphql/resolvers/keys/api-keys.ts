import { Ctx, Directive, Query, Resolver } from 'type-graphql';
import { requirePrincipal, type GraphQLContext } from '../../context.js';
import { listApiKeys } from '../../../services/accounts/api-keys.js';
import { ApiKeyType } from '../../schema/types/account.js';

@Resolver()
export class ApiKeysResolver {
  @Query(() => [ApiKeyType], { description: 'The active keys of the account and those revoked in the last 30 days (at most the newest 100 of these), oldest first.' })
  @Directive('@auth')
  @Directive('@rateLimit')
  async apiKeys(@Ctx() ctx: GraphQLContext): Promise<ApiKeyType[]> {
    return listApiKeys(ctx.em, requirePrincipal(ctx).userId, ctx.rt.clock.now());
  }
}
