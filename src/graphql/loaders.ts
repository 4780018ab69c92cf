import DataLoader from 'dataloader';
import type { GraphQLContext } from './context.js';

/**
 * The request's DataLoader called `name`, created on first use: field resolvers of one request that
 * ask for the same kind of data share one batched query instead of one query each.
 */
export function requestLoader<K, V>(ctx: GraphQLContext, name: string, batch: (keys: readonly K[]) => Promise<V[]>): DataLoader<K, V> {
  let loader = ctx.loaders.get(name) as DataLoader<K, V> | undefined;
  if (!loader) ctx.loaders.set(name, (loader = new DataLoader<K, V>(batch)));
  return loader;
}
