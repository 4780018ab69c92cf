import { requirePrincipal, type GraphQLContext } from '../../graphql/context.js';
import type { RecallDeps } from '../../services/recall.js';
import type { StoreDeps } from '../../services/memory-store.js';

/** What the memory services need from a request: its unit of work, the caller, the meter, semantic search, and where warnings go. */
export function memoryDeps(ctx: GraphQLContext): RecallDeps {
  return {
    em: ctx.em,
    userId: requirePrincipal(ctx).userId,
    usage: ctx.rt.usage,
    semantic: ctx.rt.semantic,
    warn: (warning) => ctx.warnings.push(warning),
  };
}

/** The same for a store, with the caller's quota (resolved before the store's transaction opens). */
export async function storeDeps(ctx: GraphQLContext): Promise<StoreDeps> {
  return { ...memoryDeps(ctx), quota: await ctx.quotaCheck(), combiner: ctx.rt.storeCombiner, storedWithoutVector: () => ctx.rt.embeddingWorker.wake() };
}
