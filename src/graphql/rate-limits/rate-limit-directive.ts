import { DirectiveLocation, GraphQLDirective, GraphQLInt, GraphQLNonNull, type GraphQLSchema } from 'graphql';
import { internalError } from '../../errors.js';
import { wrapFieldsWith } from '../directives/wrap.js';

/**
 * `@rateLimit(cost)`: the field costs `cost` units of the user's per-minute budget for each selection
 * (aliases included). The whole operation's cost is taken before execution by the limits plugin
 * (src/graphql/rate-limits/limits-plugin.ts), which reads the cost this transformer records on the field.
 */
export const rateLimitDirective = new GraphQLDirective({
  name: 'rateLimit',
  locations: [DirectiveLocation.FIELD_DEFINITION],
  args: { cost: { type: new GraphQLNonNull(GraphQLInt), defaultValue: 1 } },
});

export const RATE_LIMIT_COST = 'rateLimitCost';

export const applyRateLimit = (schema: GraphQLSchema) =>
  wrapFieldsWith(
    schema,
    'rateLimit',
    () => (_args, context) => {
      // Fail closed: a metered field never runs unless its cost was taken (or the caller is unlimited).
      const unlimited = context.caller.kind === 'user' && context.caller.principal.owner;
      if (!unlimited && context.caller.kind === 'user' && !context.rateLimit?.allowed) {
        throw internalError('Rate limit was not checked for this operation');
      }
    },
    (field, { cost }: { cost: number }) => {
      field.extensions = { ...field.extensions, [RATE_LIMIT_COST]: cost };
    },
  );
