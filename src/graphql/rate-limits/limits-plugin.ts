import type { ApolloServerPlugin } from '@apollo/server';
import { rateLimited } from '../../errors.js';
import { rateLimitHeaders } from '../../http/headers.js';
import { chargeRequest, windowForHeaders } from '../../request-scope.js';
import type { Runtime } from '../../runtime.js';
import { ipBucket, takeOrFailClosed } from '../../services/limits/rate-limiter.js';
import type { GraphQLContext } from '../context.js';
import { cachedOperationCost } from './operation-cost.js';

/**
 * Takes each operation's rate-limit cost before anything executes: the whole cost in one atomic
 * step, or nothing runs and the answer is 429 RATE_LIMITED with Retry-After. Also limits public
 * mutations per client IP, and puts the X-RateLimit-* headers on every response to a valid user
 * key. If the counter store cannot answer, the operation is refused.
 */
export function limitsPlugin(rt: Runtime): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue: ctx, operation, document, request, schema }) {
          if (!operation) return;
          const fragments = Object.fromEntries(
            document.definitions.filter((d) => d.kind === 'FragmentDefinition').map((d) => [d.name.value, d]),
          );
          const cost = cachedOperationCost(schema, operation, fragments, request.variables ?? {});

          if (cost.publicUnits > 0) {
            const ip = await takeOrFailClosed(rt, `ip:${ipBucket(ctx.clientIp)}`, cost.publicUnits, rt.config.publicRateLimit);
            if (!ip.allowed) throw rateLimited(ip.limit, ip.resetAt);
          }
          await chargeRequest(ctx, cost.userUnits);
        },

        async willSendResponse({ contextValue: ctx, response }) {
          const window = await windowForHeaders(ctx);
          for (const [name, value] of window ? rateLimitHeaders(window) : []) response.http.headers.set(name, value);
        },
      };
    },
  };
}
