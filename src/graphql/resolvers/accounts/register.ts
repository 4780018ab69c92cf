import { Arg, Ctx, Extensions, Field, InputType, Mutation, Resolver, UseMiddleware } from 'type-graphql';
import type { GraphQLContext } from '../../context.js';
import { registerUser } from '../../../services/accounts/accounts.js';
import { RegisterPayloadType } from '../../schema/types/account.js';
import { BillingOnly, PUBLIC_RATE_LIMIT } from '../billing-only.js';

@InputType('RegisterInput')
export class RegisterInput {
  @Field(() => String)
  email!: string;
}

@Resolver()
export class RegisterResolver {
  @Mutation(() => RegisterPayloadType, { description: 'Creates a FREE account and returns its first API key (shown once).' })
  @Extensions(PUBLIC_RATE_LIMIT)
  @UseMiddleware(BillingOnly)
  async register(@Arg('input', () => RegisterInput) input: RegisterInput, @Ctx() ctx: GraphQLContext): Promise<RegisterPayloadType> {
    return registerUser(ctx.em, input.email);
  }
}
