import { Ctx, Directive, Query, Resolver } from 'type-graphql';
import { requirePrincipal, type GraphQLContext } from '../../context.js';
import { listAgents } from '../../../services/memories/agents.js';
import { AgentType } from '../../schema/types/memory.js';

@Resolver()
export class AgentsResolver {
  @Query(() => [AgentType], { description: 'Oldest first; `default` always exists.' })
  @Directive('@auth')
  @Directive('@rateLimit')
  async agents(@Ctx() ctx: GraphQLContext): Promise<AgentType[]> {
    return listAgents(ctx.em, requirePrincipal(ctx).userId);
  }
}
