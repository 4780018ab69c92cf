import { getDirectives } from '@graphql-tools/utils';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { GraphQLInputObjectType, GraphQLObjectType, isInputObjectType, type GraphQLSchema } from 'graphql';
import { ErrorCode } from '../errors.js';
import { RATE_LIMIT_COST } from '../graphql/rate-limits/rate-limit-directive.js';
import { WarningCode } from '../services/warnings.js';
import { inputObjectSchema, outputSchema, outputSerializer, type JsonSchema } from './graphql-types.js';
import { TOOLS, type ToolDefinition } from './tools.js';

/** A tool ready to list and call: its MCP description, and what it takes from its GraphQL twin. */
export interface CompiledTool {
  definition: ToolDefinition;
  /** As tools/list answers it. */
  tool: Tool;
  /** The arguments as one GraphQL input object, to coerce them as GraphQL does. */
  argumentsType: GraphQLInputObjectType;
  /** Writes the structured result: the twin's type, wrapped under `resultKey` when there is one. */
  serialize(value: unknown): Record<string, unknown>;
  /** The twin's `@rateLimit` cost: units of the per-minute budget one call spends. */
  cost: number;
}

/**
 * The rules a twin's directives stand for that a tool call applies too: `@auth` (every /mcp request
 * carries a user key), `@rateLimit` (the cost, spent before the call) and `@quota` (the store
 * services reserve it). A twin with any other directive (`@tier`, `@admin`) would need a rule the
 * tools do not apply, so the server refuses to start rather than expose it without.
 */
const APPLIED_DIRECTIVES = new Set(['auth', 'rateLimit', 'quota']);

const WARNINGS_SCHEMA: JsonSchema = {
  type: 'array',
  description: 'What the call could not do fully although it succeeded (e.g. recall without semantic matching).',
  items: {
    type: 'object',
    properties: { code: { type: 'string', enum: Object.values(WarningCode) }, message: { type: 'string' } },
    required: ['code', 'message'],
  },
};

/** A refused call's structured content: the error exactly as GraphQL answers it (message, extensions.code and its extras). */
export const ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        message: { type: 'string' },
        extensions: {
          type: 'object',
          description: 'code, and by code: retryAfterSeconds/limit/resetAt (RATE_LIMITED), resource/limit/used/upgradeTier (QUOTA_EXCEEDED), field (BAD_USER_INPUT).',
          properties: { code: { type: 'string', enum: Object.values(ErrorCode) } },
          required: ['code'],
        },
      },
      required: ['message', 'extensions'],
    },
  },
  required: ['error'],
};

const pascal = (name: string) => name.replace(/(^|_)([a-z])/g, (_, _sep: string, c: string) => c.toUpperCase());

function compile(schema: GraphQLSchema, definition: ToolDefinition): CompiledTool {
  const { name, twin } = definition;
  const root = twin.operation === 'mutation' ? schema.getMutationType() : schema.getQueryType();
  const field = root?.getFields()[twin.field];
  if (!field) throw new Error(`MCP tool ${name}: its twin ${twin.operation} field ${twin.field} does not exist`);
  const directives = getDirectives(schema, field).map((d) => d.name);
  const unapplied = directives.filter((d) => !APPLIED_DIRECTIVES.has(d));
  if (!directives.includes('auth') || unapplied.length > 0) {
    throw new Error(`MCP tool ${name}: its twin ${twin.field} must be @auth and carry only ${[...APPLIED_DIRECTIVES].join(', ')} (has ${directives.join(', ') || 'none'})`);
  }

  let argumentsType: GraphQLInputObjectType;
  if (definition.spread) {
    const type = field.args.find((arg) => arg.name === definition.spread)?.type;
    const named = type && 'ofType' in type ? type.ofType : type;
    if (!isInputObjectType(named)) throw new Error(`MCP tool ${name}: ${twin.field}(${definition.spread}) is not an input object`);
    argumentsType = named;
  } else {
    argumentsType = new GraphQLInputObjectType({
      name: `${pascal(name)}Arguments`,
      fields: Object.fromEntries(field.args.map((arg) => [arg.name, { type: arg.type, defaultValue: arg.defaultValue, description: arg.description }])),
    });
  }

  const resultType = definition.resultKey
    ? new GraphQLObjectType({ name: `${pascal(name)}Result`, fields: { [definition.resultKey]: { type: field.type, description: field.description } } })
    : field.type;
  const success = outputSchema(resultType);
  const tool: Tool = {
    name,
    title: definition.title,
    description: definition.description,
    inputSchema: inputObjectSchema(argumentsType.toConfig().fields, definition.arguments) as Tool['inputSchema'],
    outputSchema: {
      type: 'object',
      anyOf: [{ ...success, type: 'object', properties: { ...(success.properties as JsonSchema), warnings: WARNINGS_SCHEMA } }, ERROR_SCHEMA],
    },
    annotations: {
      title: definition.title,
      readOnlyHint: definition.readOnly,
      destructiveHint: definition.destructive ?? false,
      idempotentHint: definition.idempotent ?? definition.readOnly,
      openWorldHint: false,
    },
  };
  const serialize = outputSerializer(resultType);
  const { resultKey } = definition;
  return {
    definition,
    tool,
    argumentsType,
    serialize: (value) => serialize(resultKey ? { [resultKey]: value } : value) as Record<string, unknown>,
    cost: Number(field.extensions?.[RATE_LIMIT_COST] ?? 0),
  };
}

/** Every tool, compiled against the schema the GraphQL endpoint serves. Throws at start on a tool whose twin does not fit. */
export function compileTools(schema: GraphQLSchema, definitions: readonly ToolDefinition[] = TOOLS): Map<string, CompiledTool> {
  return new Map(definitions.map((definition) => [definition.name, compile(schema, definition)]));
}
