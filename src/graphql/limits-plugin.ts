import type { ApolloServerPlugin } from '@apollo/server';
import { internalError, rateLimited } from '../errors.js';
import { ipBucket } from '../http/client-ip.js';
import type { Runtime } from '../runtime.js';
import type { WindowState } from '../services/rate-limiter.js';
import type { GraphQLContext } from './context.js';
import { cachedOperationCost } from './operation-cost.js';

/**
 * Takes each operation's rate-limit cost before anything executes (SPEC §6): the whole cost in one
 * atomic step, or nothing runs and the answer is 429 RATE_LIMITED with Retry-After. Also limits
 * public mutations per client IP, meters usage, and puts the X-RateLimit-* headers on every
 * response to a valid user key. If the counter store cannot answer, the operation is refused.
 */
export function limitsPlugin(rt: Runtime): ApolloServerPlugin<GraphQLContext> {
  const take = async (bucket: string, cost: number, limit: number): Promise<WindowState> => {
    try {
      return await rt.rateLimiter.take(bucket, cost, limit);
    } catch (err) {
      rt.logger.error({ err, store: rt.rateLimiter.store.kind }, 'rate-limit store unreachable; refusing the request');
      throw internalError('Rate limiting is unavailable, so the request was not run; retry shortly');
    }
  };

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
            const ip = await take(`ip:${ipBucket(ctx.clientIp)}`, cost.publicUnits, rt.config.publicRateLimit);
            if (!ip.allowed) throw rateLimited(ip.limit, ip.resetAt);
          }

          if (ctx.caller.kind !== 'user' || ctx.caller.principal.owner) return;
          const { userId } = ctx.caller.principal;
          const { limits } = await ctx.entitlement();
          const bucket = `user:${userId}`;
          const limit = limits.requestsPerMinute ?? Number.MAX_SAFE_INTEGER;
          if (cost.userUnits === 0) {
            // Nothing to spend: read the window for the headers, but an unreachable store refuses nothing.
            ctx.rateLimit = await rt.rateLimiter.take(bucket, 0, limit).catch(() => null);
          } else {
            const window = await take(bucket, cost.userUnits, limit);
            ctx.rateLimit = window;
            if (!window.allowed) throw rateLimited(window.limit, window.resetAt);
          }
          rt.usage.record(userId, { requests: 1 });
        },

        async willSendResponse({ contextValue: ctx, response }) {
          let window = ctx?.rateLimit;
          if (!window && ctx?.caller.kind === 'user' && !ctx.caller.principal.owner) {
            // The operation never reached the limiter (it did not parse or validate): report the window as it is.
            const { limits } = await ctx.entitlement().catch(() => ({ limits: null }));
            if (limits?.requestsPerMinute) window = await rt.rateLimiter.take(`user:${ctx.caller.principal.userId}`, 0, limits.requestsPerMinute).catch(() => null);
          }
          if (!window) return;
          response.http.headers.set('x-ratelimit-limit', String(window.limit));
          response.http.headers.set('x-ratelimit-remaining', String(window.remaining));
          response.http.headers.set('x-ratelimit-reset', String(Math.floor(window.resetAt.getTime() / 1000)));
        },
      };
    },
  };
}
