import { Arg, Ctx, Directive, ID, Mutation, Resolver, UseMiddleware } from 'type-graphql';
import { requirePrincipal, type GraphQLContext } from '../../context.js';
import { rotateApiKey } from '../../../services/accounts/api-keys.js';
import { CreatedApiKeyType } from '../../schema/types/account.js';
import { BillingOnly } from '../billing-only.js';

@Resolver()
export class RotateApiKeyResolver {
  @Mutation(() => CreatedApiKeyType, { description: 'A new secret under the same name; the old key is revoked in the same transaction.' })
  @Directive('@auth')
  @Directive('@rateLimit')
  @UseMiddleware(BillingOnly)
  async rotateApiKey(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<CreatedApiKeyType> {
    return rotateApiKey(ctx.em, ctx.rt.bus, requirePrincipal(ctx).userId, id);
  }
}
