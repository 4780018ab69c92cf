import { DirectiveLocation, GraphQLDirective, GraphQLNonNull, type GraphQLEnumType, type GraphQLSchema } from 'graphql';
import type { QuotaResource } from '../../entities/enums.js';
import { assertQuotaRoom } from '../../services/quota.js';
import { requirePrincipal } from '../../graphql/context.js';
import { wrapFieldsWith } from './wrap.js';

/**
 * `@quota(resource)`: refuses at once with QUOTA_EXCEEDED when the user is already at the cap.
 * This is the early answer only; the write itself reserves its units atomically (src/services/quota.ts).
 */
export const quotaDirective = (resourceEnum: GraphQLEnumType) =>
  new GraphQLDirective({
    name: 'quota',
    locations: [DirectiveLocation.FIELD_DEFINITION],
    args: { resource: { type: new GraphQLNonNull(resourceEnum) } },
  });

export const applyQuota = (schema: GraphQLSchema) =>
  wrapFieldsWith(schema, 'quota', ({ resource }: { resource: QuotaResource }) => async (_args, context) => {
    const { userId } = requirePrincipal(context);
    await assertQuotaRoom(context.em, userId, resource, await context.quotaCheck());
  });
