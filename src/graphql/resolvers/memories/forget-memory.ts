import { Arg, Ctx, Directive, ID, Mutation, Resolver } from 'type-graphql';
import { requirePrincipal, type GraphQLContext } from '../../context.js';
import { forgetMemory } from '../../../services/memories/memories.js';

@Resolver()
export class ForgetMemoryResolver {
  @Mutation(() => Boolean, { description: 'Deletes the memory at once and frees its quota.' })
  @Directive('@auth')
  @Directive('@rateLimit')
  async forgetMemory(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<boolean> {
    return forgetMemory(ctx.em, requirePrincipal(ctx).userId, id);
  }
}
