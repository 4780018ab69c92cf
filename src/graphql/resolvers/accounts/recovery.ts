import { Arg, Ctx, Extensions, Mutation, Resolver, UseMiddleware } from 'type-graphql';
import type { GraphQLContext } from '../../context.js';
import { recoverApiKey, requestApiKeyRecovery } from '../../../services/accounts/recovery.js';
import { CreatedApiKeyType } from '../../schema/types/account.js';
import { BillingOnly, PUBLIC_RATE_LIMIT } from '../billing-only.js';

@Resolver()
export class RecoveryResolver {
  @Mutation(() => Boolean, { description: 'Mails a 6-digit code valid 15 minutes. Always true: it never tells whether an account exists.' })
  @Extensions(PUBLIC_RATE_LIMIT)
  @UseMiddleware(BillingOnly)
  async requestApiKeyRecovery(@Arg('email', () => String) email: string, @Ctx() ctx: GraphQLContext): Promise<boolean> {
    return requestApiKeyRecovery(ctx.em, ctx.rt, email);
  }

  @Mutation(() => CreatedApiKeyType, { description: 'Revokes every existing key of the account and issues a new one.' })
  @Extensions(PUBLIC_RATE_LIMIT)
  @UseMiddleware(BillingOnly)
  async recoverApiKey(
    @Arg('email', () => String) email: string,
    @Arg('code', () => String) code: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<CreatedApiKeyType> {
    return recoverApiKey(ctx.em, ctx.rt, email, code);
  }
}
