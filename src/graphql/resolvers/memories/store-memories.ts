import { Arg, Ctx, Directive, Mutation, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../../context.js';
import { storeMemories } from '../../../services/memories/memory-store.js';
import { StoreMemoryPayloadType } from '../../schema/types/memory.js';
import { storeDeps } from '../../../request-scope.js';
import { StoreMemoryInput } from './store-memory.js';

@Resolver()
export class StoreMemoriesResolver {
  @Mutation(() => [StoreMemoryPayloadType], { description: 'Up to 100 memories in one transaction: all are stored, or none.' })
  @Directive('@auth')
  @Directive('@rateLimit')
  @Directive('@quota(resource: MEMORIES)')
  async storeMemories(@Arg('inputs', () => [StoreMemoryInput]) inputs: StoreMemoryInput[], @Ctx() ctx: GraphQLContext): Promise<StoreMemoryPayloadType[]> {
    return storeMemories(await storeDeps(ctx), inputs);
  }
}
