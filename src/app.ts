import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import { registerGraphQL } from './graphql/server.js';
import { billingPages } from './http/billing-pages.js';
import { healthRoutes } from './http/health.js';
import type { Runtime } from './runtime.js';
import { buildGraphQLSchema } from './schema/build.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** One line per request when it completes, without the query string (it may carry GraphQL variables). */
class AccessLog extends LogController {
  constructor() {
    super({ requestIdLogLabel: 'requestId' });
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = { method: request.method, path: request.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) };
    if (error) request.log.error({ ...line, err: error }, 'request failed');
    else request.log.info(line, 'request completed');
  }
}

/**
 * The HTTP server, composed from small plugins that each do one job: CORS, health, billing pages, GraphQL.
 * Everything long-lived comes in through `rt`; nothing here holds business rules.
 */
export async function buildApp(rt: Runtime, options: { schema?: GraphQLSchema } = {}): Promise<FastifyInstance> {
  const { config } = rt;
  const app = Fastify({
    loggerInstance: rt.logger as FastifyBaseLogger,
    logController: new AccessLog(),
    // A caller's (or proxy's) X-Request-Id is kept when it is sane; otherwise a fresh one.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    trustProxy: config.trustedProxies.length > 0 ? config.trustedProxies : false,
    bodyLimit: 1024 * 1024,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  await app.register(cors, {
    origin: config.corsOrigins,
    credentials: false,
    exposedHeaders: ['x-request-id', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'retry-after'],
  });
  await app.register(healthRoutes, { rt });
  if (config.billingEnabled) await app.register(billingPages, { rt });
  await registerGraphQL(app, rt, options.schema ?? (await buildGraphQLSchema()));
  return app;
}
