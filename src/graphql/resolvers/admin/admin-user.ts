import { Arg, Ctx, Directive, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../../context.js';
import { UserType } from '../../schema/types/account.js';
import { findUserByEmail, normalizeEmail } from '../../../services/accounts/accounts.js';

@Resolver()
export class AdminUserResolver {
  @Query(() => UserType, { nullable: true, description: 'An account by email, with its effective tier and subscription; null when there is none.' })
  @Directive('@admin')
  async adminUser(@Ctx() ctx: GraphQLContext, @Arg('email', () => String) email: string): Promise<UserType | null> {
    return (await findUserByEmail(ctx.em, normalizeEmail(email))) as UserType | null;
  }
}
