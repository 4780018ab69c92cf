import { Ctx, Directive, Query, Resolver } from 'type-graphql';
import { requirePrincipal, type GraphQLContext } from '../../graphql/context.js';
import { listApiKeys } from '../../services/api-keys.js';
import { ApiKeyType } from '../../schema/types/account.js';

@Resolver()
export class ApiKeysResolver {
  @Query(() => [ApiKeyType], { description: 'Every key of the account, revoked ones included, oldest first.' })
  @Directive('@auth')
  async apiKeys(@Ctx() ctx: GraphQLContext): Promise<ApiKeyType[]> {
    return listApiKeys(ctx.em, requirePrincipal(ctx).userId);
  }
}
