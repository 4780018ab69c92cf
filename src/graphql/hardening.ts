import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { ValidationRule } from 'graphql';

/**
 * Limits on what one operation may ask for (docs/operations.md). Each refusal is a GraphQL error with a code
 * before anything executes. The values are the README's "GraphQL limits" table.
 */
export const OPERATION_LIMITS = {
  maxDepth: 10,
  maxAliases: 30,
  maxTokens: 5_000,
  maxDirectives: 50,
  /** Cost: 1 per scalar field, 2 per object field, each nesting level multiplies its children by 1.5. */
  maxCost: 5_000,
  scalarCost: 1,
  objectCost: 2,
  depthCostFactor: 1.5,
} as const;

export interface Hardening {
  validationRules: ValidationRule[];
  /** graphql-js stops parsing past this many tokens, before building any document. */
  parseOptions: { maxTokens: number };
}

export function hardening(): Hardening {
  const limits = OPERATION_LIMITS;
  // Armor's depth, alias, directive and cost checks are validation rules; its two plugins are off.
  const { validationRules } = new ApolloArmor({
    maxDepth: { n: limits.maxDepth, ignoreIntrospection: true, exposeLimits: true },
    maxAliases: { n: limits.maxAliases, exposeLimits: true },
    maxDirectives: { n: limits.maxDirectives, exposeLimits: true },
    costLimit: {
      maxCost: limits.maxCost,
      scalarCost: limits.scalarCost,
      objectCost: limits.objectCost,
      depthCostFactor: limits.depthCostFactor,
      ignoreIntrospection: true,
      exposeLimits: true,
    },
    // Tokens: graphql-js's own parser limit (below) is free; armor's would parse every document twice.
    maxTokens: { enabled: false },
    // Suggestions: Apollo hides them in production (hideSchemaDetailsFromClientErrors).
    blockFieldSuggestion: { enabled: false },
  }).protect();
  return { validationRules, parseOptions: { maxTokens: limits.maxTokens } };
}
