import { Arg, Ctx, Directive, Field, InputType, Mutation, Resolver, UseMiddleware } from 'type-graphql';
import { requirePrincipal, type GraphQLContext } from '../../context.js';
import { createApiKey } from '../../../services/accounts/api-keys.js';
import { CreatedApiKeyType } from '../../schema/types/account.js';
import { BillingOnly } from '../billing-only.js';

@InputType('CreateApiKeyInput')
export class CreateApiKeyInput {
  @Field(() => String)
  name!: string;
}

@Resolver()
export class CreateApiKeyResolver {
  @Mutation(() => CreatedApiKeyType)
  @Directive('@auth')
  @Directive('@rateLimit')
  @Directive('@quota(resource: API_KEYS)')
  @UseMiddleware(BillingOnly)
  async createApiKey(@Arg('input', () => CreateApiKeyInput) input: CreateApiKeyInput, @Ctx() ctx: GraphQLContext): Promise<CreatedApiKeyType> {
    return createApiKey(ctx.em, requirePrincipal(ctx).userId, await ctx.quotaCheck(), input.name);
  }
}
