import { Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import { requirePrincipal, type GraphQLContext } from '../../context.js';
import { requestLoader } from '../../loaders.js';
import { countMemoriesByAgent } from '../../../services/memories/agents.js';
import { AgentType } from '../../schema/types/memory.js';

@Resolver(() => AgentType)
export class AgentMemoryCountResolver {
  /** One query for every agent of the response (DataLoader), not one per agent. */
  @FieldResolver(() => Int)
  async memoryCount(@Root() agent: AgentType, @Ctx() ctx: GraphQLContext): Promise<number> {
    const { userId } = requirePrincipal(ctx);
    return requestLoader<string, number>(ctx, 'agentMemoryCount', (ids) => countMemoriesByAgent(ctx.em, userId, ids)).load(agent.id);
  }
}
