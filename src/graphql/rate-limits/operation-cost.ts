import {
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  getDirectiveValues,
  getNamedType,
  isObjectType,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { RATE_LIMIT_COST } from './rate-limit-directive.js';

export interface OperationCost {
  /** Units of the user's per-minute budget (`@rateLimit` fields, every selection and alias). */
  userUnits: number;
  /** Public mutations selected (limited per client IP). */
  publicUnits: number;
}

const costCache = new WeakMap<OperationDefinitionNode, OperationCost>();

/** Whether the cost can depend on variables (only through @skip / @include). */
const usesConditionalDirectives = (document: { loc?: { source: { body: string } } }) =>
  !document.loc || /@(skip|include)\b/.test(document.loc.source.body);

/**
 * The cost of an operation Apollo has parsed before (it reuses parsed documents), computed once.
 * Operations with @skip/@include are costed per request since their variables decide.
 */
export function cachedOperationCost(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Record<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
): OperationCost {
  if (usesConditionalDirectives(operation)) return operationCost(schema, operation, fragments, variables);
  let cost = costCache.get(operation);
  if (!cost) costCache.set(operation, (cost = operationCost(schema, operation, fragments, variables)));
  return cost;
}

/**
 * What an operation costs before it runs. Every selection of a metered field counts, aliases
 * included, whether written out or reached through fragments; fields dropped by @skip/@include
 * do not run and do not count.
 */
export function operationCost(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Record<string, FragmentDefinitionNode>,
  variables: Record<string, unknown> = {},
): OperationCost {
  const cost: OperationCost = { userUnits: 0, publicUnits: 0 };
  const root = operation.operation === 'mutation' ? schema.getMutationType() : schema.getQueryType();
  if (!root) return cost;

  const included = (node: Parameters<typeof getDirectiveValues>[1]) =>
    getDirectiveValues(GraphQLSkipDirective, node, variables)?.if !== true &&
    getDirectiveValues(GraphQLIncludeDirective, node, variables)?.if !== false;

  const walk = (type: GraphQLObjectType, selectionSet: SelectionSetNode, seen: Set<string>) => {
    for (const selection of selectionSet.selections) {
      if (!included(selection)) continue;
      if (selection.kind === 'Field') {
        const field = type.getFields()[selection.name.value];
        if (!field) continue;
        cost.userUnits += Number(field.extensions?.[RATE_LIMIT_COST] ?? 0);
        if (field.extensions?.publicRateLimit) cost.publicUnits += 1;
        const child = getNamedType(field.type);
        if (selection.selectionSet && isObjectType(child)) walk(child, selection.selectionSet, seen);
      } else if (selection.kind === 'InlineFragment') {
        const on = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type;
        if (isObjectType(on)) walk(on, selection.selectionSet, seen);
      } else {
        const fragment = fragments[selection.name.value];
        if (!fragment || seen.has(fragment.name.value)) continue;
        const on = schema.getType(fragment.typeCondition.name.value);
        if (isObjectType(on)) walk(on, fragment.selectionSet, new Set([...seen, fragment.name.value]));
      }
    }
  };
  walk(root, operation.selectionSet, new Set());
  return cost;
}
