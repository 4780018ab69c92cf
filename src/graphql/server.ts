import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault, ApolloServerPluginLandingPageProductionDefault } from '@apollo/server/plugin/landingPage/default';
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from '@as-integrations/fastify';
import type { FastifyInstance } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import type { Runtime } from '../runtime.js';
import { createContext, type GraphQLContext } from './context.js';
import { errorLoggingPlugin, formatError } from './plugins/errors-plugin.js';
import { hardening } from './hardening.js';
import { limitsPlugin } from './rate-limits/limits-plugin.js';
import { warningsPlugin } from './plugins/warnings-plugin.js';
import { metricsPlugin } from './plugins/metrics-plugin.js';

/**
 * Apollo Server at /graphql (GET for queries, POST), with the plugins that enforce limits and
 * shape errors. Apollo's Sandbox answers browsers on GET /graphql outside production.
 */
export async function registerGraphQL(app: FastifyInstance, rt: Runtime, schema: GraphQLSchema): Promise<ApolloServer<GraphQLContext>> {
  const limits = hardening();
  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    introspection: rt.config.introspection,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    includeStacktraceInErrorResponses: !rt.config.isProduction,
    hideSchemaDetailsFromClientErrors: rt.config.isProduction,
    formatError: formatError(rt),
    plugins: [
      // No field sets cache hints, so Apollo's per-field cache-control bookkeeping is only cost.
      ApolloServerPluginCacheControlDisabled(),
      fastifyApolloDrainPlugin(app),
      limitsPlugin(rt),
      metricsPlugin(rt),
      errorLoggingPlugin(rt),
      warningsPlugin(),
      rt.config.isProduction ? ApolloServerPluginLandingPageProductionDefault({ footer: false }) : ApolloServerPluginLandingPageLocalDefault({ footer: false }),
    ],
  });
  await apollo.start();
  const handler = fastifyApolloHandler(apollo, { context: (request) => createContext(rt, request) });
  app.route({ url: '/graphql', method: ['GET', 'POST', 'OPTIONS'], handler });
  return apollo;
}
