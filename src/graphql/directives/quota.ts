import { DirectiveLocation, GraphQLDirective, GraphQLNonNull, type GraphQLEnumType, type GraphQLSchema } from 'graphql';
import type { QuotaResource } from '../../entities/enums.js';
import { requirePrincipal } from '../../graphql/context.js';
import { wrapFieldsWith } from './wrap.js';

/**
 * `@quota(resource)`: the field writes something counted against a cap. The check is the write's
 * own atomic reservation (src/services/quota.ts), which answers QUOTA_EXCEEDED at the cap; a
 * separate read before it would cost every write a round trip and could still be stale. Here the
 * caller's entitlement is resolved before the resolver runs, so a write never starts without it.
 */
export const quotaDirective = (resourceEnum: GraphQLEnumType) =>
  new GraphQLDirective({
    name: 'quota',
    locations: [DirectiveLocation.FIELD_DEFINITION],
    args: { resource: { type: new GraphQLNonNull(resourceEnum) } },
  });

export const applyQuota = (schema: GraphQLSchema) =>
  wrapFieldsWith(schema, 'quota', (_: { resource: QuotaResource }) => async (_args, context) => {
    requirePrincipal(context);
    await context.quotaCheck();
  });
