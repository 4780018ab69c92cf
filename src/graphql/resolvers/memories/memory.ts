import { Arg, Ctx, Directive, ID, Query, Resolver } from 'type-graphql';
import { requirePrincipal, type GraphQLContext } from '../../context.js';
import { getMemory } from '../../../services/memories/memories.js';
import { MemoryType } from '../../schema/types/memory.js';

@Resolver()
export class MemoryResolver {
  @Query(() => MemoryType, { nullable: true })
  @Directive('@auth')
  @Directive('@rateLimit')
  async memory(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<MemoryType | null> {
    return getMemory(ctx.em, requirePrincipal(ctx).userId, id);
  }
}
