import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { AppError, clientError, isUnexpected } from '../../errors.js';
import type { Runtime } from '../../runtime.js';
import type { GraphQLContext } from '../context.js';

/** Codes Apollo itself gives to requests it rejects before execution; passed through as they are. */
const APOLLO_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

/**
 * Every error a client sees carries `extensions.code`. Our AppErrors and Apollo's request errors
 * pass through; anything else is an INTERNAL_SERVER_ERROR, logged with its stack here and, in
 * production, shown only as a generic message.
 */
export function formatError(rt: Runtime) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const code = formatted.extensions?.code;
    if (!(original instanceof AppError) && typeof code === 'string' && APOLLO_CODES.has(code)) return formatted;
    const { message, extensions } = clientError(original, rt.config.isProduction);
    // Apollo adds the stack outside production (includeStacktraceInErrorResponses).
    const stacktrace = formatted.extensions?.stacktrace;
    return { message, locations: formatted.locations, path: formatted.path, extensions: { ...extensions, ...(stacktrace ? { stacktrace } : {}) } };
  };
}

/** Logs unexpected errors once, with the request id (expected ones are the client's business). */
export function errorLoggingPlugin(rt: Runtime): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart({ contextValue }) {
      const requestId = contextValue?.requestId;
      return {
        async didEncounterErrors({ errors, operationName }) {
          for (const error of errors) {
            const original = unwrapResolverError(error);
            if (!isUnexpected(original)) continue;
            if (!(original instanceof AppError) && error.extensions?.code && APOLLO_CODES.has(String(error.extensions.code))) continue;
            rt.logger.error({ requestId, err: original, operationName, path: error.path }, 'GraphQL operation failed');
          }
        },
      };
    },
  };
}
