import 'reflect-metadata';
import { GraphQLEnumType, GraphQLSchema, isEnumType } from 'graphql';
import { MapperKind, mapSchema, printSchemaWithDirectives } from '@graphql-tools/utils';
import { buildSchema } from 'type-graphql';
import { resolvers } from '../resolvers/index.js';
import { adminDirective, applyAdmin } from '../directives/admin.js';
import { applyAuth, authDirective } from '../directives/auth.js';
import { applyQuota, quotaDirective } from '../directives/quota.js';
import { applyRateLimit, rateLimitDirective } from '../rate-limits/rate-limit-directive.js';
import { applyTier, tierDirective } from '../directives/tier.js';
import { QuotaResource, Tier } from './enums.js';
import { DateTimeScalar, JSONObjectScalar } from './scalars.js';

/** The schema's own enum, or a new one when no type uses it yet (a directive argument only). */
function enumType(schema: GraphQLSchema, name: string, values: Record<string, string>): GraphQLEnumType {
  const type = schema.getType(name);
  if (isEnumType(type)) return type;
  return new GraphQLEnumType({ name, values: Object.fromEntries(Object.values(values).map((v) => [v, { value: v }])) });
}

/**
 * The executable schema: type-graphql builds the types from the resolvers, then the directive
 * definitions are added (reusing the schema's own Tier and QuotaResource enums) and each
 * directive's transformer wraps the fields that carry it. Checks run in the order
 * admin → auth → tier → rateLimit → quota, because the last transformer applied runs first.
 */
export async function buildGraphQLSchema(options: { extraResolvers?: Function[] } = {}): Promise<GraphQLSchema> {
  const base = await buildSchema({
    resolvers: [...resolvers, ...(options.extraResolvers ?? [])] as typeof resolvers,
    validate: false,
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    orphanedTypes: [],
  });
  const tier = enumType(base, 'Tier', Tier);
  const quotaResource = enumType(base, 'QuotaResource', QuotaResource);
  const config = base.toConfig();
  const withDirectives = new GraphQLSchema({
    ...config,
    types: [...new Set([...config.types, tier, quotaResource, JSONObjectScalar])],
    directives: [...base.getDirectives(), authDirective, tierDirective(tier), rateLimitDirective, quotaDirective(quotaResource), adminDirective],
  });
  const transforms = [applyQuota, applyRateLimit, applyTier, applyAuth, applyAdmin].map((apply) => apply(withDirectives));
  return mapSchema(withDirectives, {
    [MapperKind.OBJECT_FIELD]: (fieldConfig) => transforms.reduce((field, transform) => transform(field), fieldConfig),
  });
}

export const printSchemaFile = (schema: GraphQLSchema): string => `${printSchemaWithDirectives(schema).trim()}\n`;
