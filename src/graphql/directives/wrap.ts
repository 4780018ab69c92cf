import { defaultFieldResolver, type GraphQLFieldConfig, type GraphQLSchema } from 'graphql';
import { getDirective } from '@graphql-tools/utils';
import type { GraphQLContext } from '../context.js';

type Check = (args: Record<string, unknown>, context: GraphQLContext) => Promise<void> | void;

export type FieldTransform = (fieldConfig: GraphQLFieldConfig<any, any>) => GraphQLFieldConfig<any, any>;

/**
 * The shared shape of our directive transformers: every field carrying `@name` gets `check` run
 * before its resolver. `configure` may also record facts on the field (e.g. its rate-limit cost).
 * Returns the transform of one field: src/graphql/schema/build.ts applies all of them in one pass over the
 * schema (one mapSchema per directive rebuilt the whole schema five times, ~0.1 s of the start).
 */
export function wrapFieldsWith<A extends Record<string, unknown> = Record<string, never>>(
  schema: GraphQLSchema,
  name: string,
  check: (directiveArgs: A) => Check,
  configure?: (field: GraphQLFieldConfig<unknown, GraphQLContext>, directiveArgs: A) => void,
): FieldTransform {
  return (fieldConfig) => {
    const directive = getDirective(schema, fieldConfig, name)?.[0] as A | undefined;
    if (!directive) return fieldConfig;
    const field = fieldConfig as GraphQLFieldConfig<unknown, GraphQLContext>;
    configure?.(field, directive);
    const run = check(directive);
    const resolve = field.resolve ?? defaultFieldResolver;
    field.resolve = (source, args, context, info) => {
      const checked = run(args, context);
      // A synchronous check (@auth, @rateLimit) adds no promise and no tick: a synchronous
      // resolver stays synchronous, and graphql-js completes its object without waiting.
      return checked instanceof Promise ? checked.then(() => resolve(source, args, context, info)) : resolve(source, args, context, info);
    };
    return field;
  };
}
