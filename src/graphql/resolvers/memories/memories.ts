import { Arg, Ctx, Directive, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import { requirePrincipal, type GraphQLContext } from '../../context.js';
import { countMemories, listMemories } from '../../../services/memories/memories.js';
import { MemoryConnectionType } from '../../schema/types/memory.js';

@Resolver(() => MemoryConnectionType)
export class MemoriesResolver {
  @Query(() => MemoryConnectionType, { description: 'Newest first; pass pageInfo.endCursor as `after` for the next page.' })
  @Directive('@auth')
  @Directive('@rateLimit')
  // type-graphql prints arguments in reverse order of declaration; the published schema (schema.graphql) lists agent, first, after.
  async memories(
    @Ctx() ctx: GraphQLContext,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('agent', () => String, { nullable: true }) agent: string | null,
  ): Promise<MemoryConnectionType> {
    return listMemories(ctx.em, requirePrincipal(ctx).userId, { agent, first, after });
  }

  /** Counted only when asked for. */
  @FieldResolver(() => Int)
  async totalCount(@Root() connection: MemoryConnectionType, @Ctx() ctx: GraphQLContext): Promise<number> {
    return countMemories(ctx.em, connection.scope);
  }
}
