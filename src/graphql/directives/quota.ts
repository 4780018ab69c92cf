import { DirectiveLocation, GraphQLDirective, GraphQLNonNull, type GraphQLEnumType, type GraphQLSchema } from 'graphql';
import type { QuotaResource } from '../../entities/enums.js';
import { requirePrincipal } from '../context.js';
import { wrapFieldsWith } from './wrap.js';

/**
 * `@quota(resource)` marks a field that writes something counted against a cap, and names the
 * counter (MEMORIES, AGENTS, API_KEYS) for clients and the docs: its argument is a marker, not the
 * check. The check is the write's own atomic reservation in the service (src/services/limits/quota.ts),
 * which answers QUOTA_EXCEEDED at the cap; a separate read here would cost every write a round trip
 * and could still be stale under concurrency. What the directive does is resolve the caller's
 * entitlement before the resolver runs, so a write never starts without its limits.
 */
export const quotaDirective = (resourceEnum: GraphQLEnumType) =>
  new GraphQLDirective({
    name: 'quota',
    locations: [DirectiveLocation.FIELD_DEFINITION],
    args: { resource: { type: new GraphQLNonNull(resourceEnum) } },
  });

export const applyQuota = (schema: GraphQLSchema) =>
  wrapFieldsWith(schema, 'quota', (_marker: { resource: QuotaResource }) => async (_args, context) => {
    requirePrincipal(context);
    await context.quotaCheck();
  });
