import { Arg, Ctx, Directive, Mutation, Resolver } from 'type-graphql';
import { requirePrincipal, type GraphQLContext } from '../../context.js';
import { deleteAgent } from '../../../services/memories/agents.js';

@Resolver()
export class DeleteAgentResolver {
  @Mutation(() => Boolean, { description: 'Deletes the agent and all its memories; `default` is emptied and kept.' })
  @Directive('@auth')
  @Directive('@rateLimit')
  async deleteAgent(@Arg('name', () => String) name: string, @Ctx() ctx: GraphQLContext): Promise<boolean> {
    return deleteAgent(ctx.em, requirePrincipal(ctx).userId, name);
  }
}
