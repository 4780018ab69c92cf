import type { ApolloServerPlugin } from '@apollo/server';
import { countRefusal, operationLabel } from '../../metrics.js';
import type { Runtime } from '../../runtime.js';
import type { GraphQLContext } from '../context.js';

/** Operation latency by name, and refusals by rate limit and quota, labelled with the caller's tier. */
export function metricsPlugin(rt: Runtime): ApolloServerPlugin<GraphQLContext> {
  const { metrics } = rt;
  const names = new Set<string>();

  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ contextValue: ctx, operationName, operation, errors }) {
          const codes = (errors ?? []).map((e) => e.extensions?.code);
          metrics.graphqlDuration.observe(
            { operation: operationLabel(names, operationName), type: operation?.operation ?? 'unknown', outcome: codes.length ? 'error' : 'ok' },
            (performance.now() - started) / 1000,
          );
          if (codes.length === 0) return;
          const tier = ctx?.caller.kind === 'user' ? (await ctx.entitlement().catch(() => null))?.tier ?? 'unknown' : 'anonymous';
          // A refusal of an anonymous caller can only be the per-IP limit of the public mutations.
          for (const error of errors ?? []) countRefusal(metrics, ctx?.caller.kind === 'user' ? tier : 'ip', error.extensions);
        },
      };
    },
  };
}
