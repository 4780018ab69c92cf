import { DirectiveLocation, GraphQLDirective, GraphQLNonNull, type GraphQLEnumType, type GraphQLSchema } from 'graphql';
import type { Tier } from '../../entities/enums.js';
import { forbidden } from '../../errors.js';
import { tierRank } from '../../plans.js';
import { wrapFieldsWith } from './wrap.js';

/** `@tier(min: Tier!)`: the effective tier must be at least `min`, else FORBIDDEN with `requiredTier`. */
export const tierDirective = (tierEnum: GraphQLEnumType) =>
  new GraphQLDirective({
    name: 'tier',
    locations: [DirectiveLocation.FIELD_DEFINITION],
    args: { min: { type: new GraphQLNonNull(tierEnum) } },
  });

export const applyTier = (schema: GraphQLSchema) =>
  wrapFieldsWith(schema, 'tier', ({ min }: { min: Tier }) => async (_args, context) => {
    const { tier } = await context.entitlement();
    if (tierRank(tier) < tierRank(min)) throw forbidden(`This operation needs the ${min} plan or higher (current plan: ${tier})`, min);
  });
