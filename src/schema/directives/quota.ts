import { DirectiveLocation, GraphQLDirective, GraphQLNonNull, type GraphQLEnumType } from 'graphql';

/**
 * `@quota(resource)`: the field writes something counted against a cap. It is a declaration only,
 * with no check of its own before the resolver: the check is the write's own atomic reservation
 * (src/services/quota.ts), which answers QUOTA_EXCEEDED at the cap. A separate read before it would
 * cost every write a round trip and could still be stale; the resolvers load the caller's quota
 * check (`ctx.quotaCheck()`) themselves, after `@auth`.
 */
export const quotaDirective = (resourceEnum: GraphQLEnumType) =>
  new GraphQLDirective({
    name: 'quota',
    locations: [DirectiveLocation.FIELD_DEFINITION],
    args: { resource: { type: new GraphQLNonNull(resourceEnum) } },
  });
