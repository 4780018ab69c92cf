import {
  coerceInputValue,
  GraphQLError,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLInputFieldConfigMap,
  type GraphQLInputObjectType,
  type GraphQLInputType,
  type GraphQLOutputType,
} from 'graphql';
import { badInput } from '../errors.js';

/**
 * The MCP tools speak the GraphQL contract's types (docs/mcp.md, "One contract"): their JSON
 * Schemas are made from the GraphQL input and output types of each tool's GraphQL twin, their
 * arguments are coerced exactly as GraphQL coerces variables (defaults, scalars such as DateTime),
 * and their answers are serialized field by field as GraphQL serializes them. A field added to a
 * type reaches the tools without a second definition to keep in step.
 */

export type JsonSchema = Record<string, unknown>;

/** How each scalar of the contract looks in JSON; a scalar missing here stops the server at start. */
const SCALARS: Record<string, JsonSchema> = {
  String: { type: 'string' },
  ID: { type: 'string' },
  Int: { type: 'integer' },
  Float: { type: 'number' },
  Boolean: { type: 'boolean' },
  DateTime: { type: 'string', format: 'date-time' },
  JSONObject: { type: 'object' },
};

function scalarSchema(name: string): JsonSchema {
  const schema = SCALARS[name];
  if (!schema) throw new Error(`MCP: no JSON Schema for the GraphQL scalar ${name}`);
  return { ...schema };
}

/**
 * JSON Schema of an input type. Optional fields may be omitted. `descriptions` (by field name, at
 * any depth) are written for a language model and take the place of the contract's own.
 */
export function inputSchema(type: GraphQLInputType, descriptions: Record<string, string> = {}): JsonSchema {
  const named = isNonNullType(type) ? type.ofType : type;
  if (isListType(named)) return { type: 'array', items: inputSchema(named.ofType, descriptions) };
  if (isInputObjectType(named)) return inputObjectSchema(named.toConfig().fields, descriptions);
  if (isEnumType(named)) return { type: 'string', enum: named.getValues().map((v) => v.name) };
  return scalarSchema(named.name);
}

/** An object of input fields: required when non-null without a default, and nothing else allowed. */
export function inputObjectSchema(fields: GraphQLInputFieldConfigMap, descriptions: Record<string, string> = {}): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [name, field] of Object.entries(fields)) {
    const description = descriptions[name] ?? field.description ?? undefined;
    properties[name] = {
      ...inputSchema(field.type, descriptions),
      ...(description ? { description } : {}),
      ...(field.defaultValue !== undefined ? { default: field.defaultValue } : {}),
    };
    if (isNonNullType(field.type) && field.defaultValue === undefined) required.push(name);
  }
  return { type: 'object', properties, ...(required.length ? { required } : {}), additionalProperties: false };
}

/** JSON Schema of an output type: every field is present, nullable ones may be null. */
export function outputSchema(type: GraphQLOutputType): JsonSchema {
  if (isNonNullType(type)) return nonNullOutputSchema(type.ofType);
  const schema = nonNullOutputSchema(type);
  return { ...schema, type: [schema.type, 'null'], ...(schema.enum ? { enum: [...(schema.enum as unknown[]), null] } : {}) };
}

function nonNullOutputSchema(type: GraphQLOutputType): JsonSchema {
  if (isListType(type)) return { type: 'array', items: outputSchema(type.ofType) };
  if (isObjectType(type)) {
    const fields = Object.values(type.getFields());
    return {
      type: 'object',
      ...(type.description ? { description: type.description } : {}),
      properties: Object.fromEntries(
        fields.map((field) => [field.name, { ...outputSchema(field.type), ...(field.description ? { description: field.description } : {}) }]),
      ),
      required: fields.map((field) => field.name),
    };
  }
  if (isEnumType(type)) return { type: 'string', enum: type.getValues().map((v) => v.name) };
  if (isScalarType(type)) return scalarSchema(type.name);
  throw new Error(`MCP: no JSON Schema for the GraphQL type ${String(type)}`);
}

/** `inputs[3].content` from GraphQL's path ["inputs", 3, "content"]. */
function fieldName(path: readonly (string | number)[]): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? key : `.${key}`)).join('');
}

/**
 * Tool arguments coerced as GraphQL coerces an operation's variables: defaults filled in, scalars
 * parsed (a DateTime string becomes a Date), unknown or missing fields refused. A refusal is
 * BAD_USER_INPUT naming the field, as the services name the fields they refuse.
 */
export function coerceArguments(type: GraphQLInputObjectType, args: Record<string, unknown> | undefined): Record<string, unknown> {
  let first: { path: readonly (string | number)[]; error: GraphQLError } | undefined;
  const value = coerceInputValue(args ?? {}, type, (path, _invalid, error) => void (first ??= { path, error }));
  if (first) {
    // A missing or unknown field is reported on the object that lacks or has it: name the field itself.
    const named = /^Field "([^"]+)"/.exec(first.error.message)?.[1];
    throw badInput(fieldName(named ? [...first.path, named] : first.path), first.error.message);
  }
  return value as Record<string, unknown>;
}

/**
 * The serializer of an output type: a service's answer as GraphQL would answer it, only the type's
 * fields, scalars and enums serialized (a date becomes its ISO 8601 string). Built once per tool,
 * so a call walks closures instead of the type. A non-null field the answer lacks is a bug in the
 * tool, not the caller's problem: it throws, naming the field.
 */
export function outputSerializer(type: GraphQLOutputType, path = 'result'): (value: unknown) => unknown {
  if (isNonNullType(type)) {
    const inner = nonNullSerializer(type.ofType, path);
    return (value) => {
      if (value === null || value === undefined) throw new Error(`MCP: ${path} is null but its type ${String(type)} is not nullable`);
      return inner(value);
    };
  }
  const inner = nonNullSerializer(type, path);
  return (value) => (value === null || value === undefined ? null : inner(value));
}

function nonNullSerializer(type: GraphQLOutputType, path: string): (value: unknown) => unknown {
  if (isListType(type)) {
    const item = outputSerializer(type.ofType, `${path}[]`);
    return (value) => (value as unknown[]).map((entry) => item(entry));
  }
  if (isObjectType(type)) {
    // Built on first use: a type may contain itself.
    let fields: [string, (value: unknown) => unknown][] | undefined;
    return (value) => {
      fields ??= Object.values(type.getFields()).map((field) => [field.name, outputSerializer(field.type, `${path}.${field.name}`)]);
      const source = value as Record<string, unknown>;
      const serialized: Record<string, unknown> = {};
      for (const [name, serialize] of fields) serialized[name] = serialize(source[name]);
      return serialized;
    };
  }
  if (isEnumType(type) || isScalarType(type)) {
    return (value) => {
      const serialized = type.serialize(value);
      // graphql-scalars' DateTime leaves a Date for JSON.stringify to write; the text rendering reads the ISO string too.
      return serialized instanceof Date ? serialized.toISOString() : serialized;
    };
  }
  throw new Error(`MCP: cannot serialize ${path} of type ${String(type)}`);
}
