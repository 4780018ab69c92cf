import { Arg, Ctx, Directive, Mutation, Resolver } from 'type-graphql';
import { requirePrincipal, type GraphQLContext } from '../../context.js';
import { createAgent } from '../../../services/memories/agents.js';
import { AgentType } from '../../schema/types/memory.js';

@Resolver()
export class CreateAgentResolver {
  @Mutation(() => AgentType, { description: 'Names are 1 to 64 of A-Z a-z 0-9 - _ . (case-sensitive). Storing into a new agent name also creates it.' })
  @Directive('@auth')
  @Directive('@rateLimit')
  @Directive('@quota(resource: AGENTS)')
  async createAgent(@Arg('name', () => String) name: string, @Ctx() ctx: GraphQLContext): Promise<AgentType> {
    return createAgent(ctx.em, requirePrincipal(ctx).userId, await ctx.quotaCheck(), name);
  }
}
