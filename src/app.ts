import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import { registerGraphQL } from './graphql/server.js';
import { billingPages } from './http/billing-pages.js';
import { billingResultPages } from './http/billing-result-pages.js';
import { clientIp, clientIpPolicy } from './http/client-ip.js';
import { EXPOSED_HEADERS, REQUEST_ID_HEADER } from './http/headers.js';
import { healthRoutes } from './http/health.js';
import { metricsRoutes } from './http/metrics.js';
import { oversizedBody } from './http/oversized-body.js';
import { site } from './http/site.js';
import { lazyChildLogger } from './logger.js';
import { mcpRoutes } from './mcp/server.js';
import { webhookRoutes } from './rest-webhooks/index.js';
import type { Runtime } from './runtime.js';
import { buildGraphQLSchema } from './graphql/schema/build.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

declare module 'fastify' {
  interface FastifyInstance {
    /** Time since the last new connection or request: shutdown waits for a quiet moment before closing. */
    msSinceLastActivity(): number;
  }
  interface FastifyRequest {
    /** The client's address as src/http/client-ip.ts decides it (proxy headers only from TRUSTED_PROXIES). */
    readonly clientIp: string;
  }
}

/** One line per request when it completes, without the query string (it may carry GraphQL variables). */
class AccessLog extends LogController {
  constructor() {
    super({ requestIdLogLabel: 'requestId' });
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (!(request.log as unknown as Logger).isLevelEnabled(error ? 'error' : 'info')) return;
    const line = { method: request.method, path: request.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) };
    if (error) request.log.error({ ...line, err: error }, 'request failed');
    else request.log.info(line, 'request completed');
  }

  override routeNotFound(request: FastifyRequest): void {
    request.log.info({ method: request.method, path: request.url.split('?')[0] }, 'route not found');
  }
}

/**
 * The HTTP server, composed from small plugins that each do one job: CORS, health, the landing page,
 * billing pages, provider webhooks, GraphQL, MCP.
 * Everything long-lived comes in through `rt`; nothing here holds business rules.
 */
export async function buildApp(rt: Runtime, options: { schema?: GraphQLSchema } = {}): Promise<FastifyInstance> {
  const { config } = rt;
  let lastActivity = Date.now();
  const app = Fastify({
    loggerInstance: rt.logger as FastifyBaseLogger,
    logController: new AccessLog(),
    childLoggerFactory: (logger, bindings, options) => lazyChildLogger(logger as unknown as Logger, bindings, options) as unknown as FastifyBaseLogger,
    // A caller's (or proxy's) X-Request-Id is kept when it is sane; otherwise a fresh one.
    genReqId: (req) => {
      const given = req.headers[REQUEST_ID_HEADER];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Proxy headers are read by src/http/client-ip.ts alone, never by Fastify.
    trustProxy: false,
    bodyLimit: 1024 * 1024,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  });

  const ipPolicy = clientIpPolicy(config);
  app.decorateRequest('clientIp', {
    getter(this: FastifyRequest) {
      return clientIp(this.raw.socket.remoteAddress, this.headers, ipPolicy);
    },
  });

  // Hooks on every request take a callback rather than return a promise: one allocation less each.
  app.addHook('onRequest', (request, reply, done) => {
    lastActivity = Date.now();
    reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
  // While draining, every response closes its connection, including those of requests that began
  // before: keep-alive clients reconnect (to another instance) and close() need not wait for them.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (rt.draining) reply.header('connection', 'close');
    done(null, payload);
  });

  await app.register(cors, {
    origin: config.corsOrigins,
    credentials: false,
    exposedHeaders: EXPOSED_HEADERS,
  });
  await app.register(oversizedBody);
  await app.register(healthRoutes, { rt });
  await app.register(metricsRoutes, { rt });
  await app.register(site, { rt });
  if (config.billingEnabled) {
    await app.register(billingResultPages);
    await app.register(billingPages, { rt });
    // Self-hosted mode has no billing: the webhook routes do not exist (404).
    await app.register(webhookRoutes, { rt });
  }
  const schema = options.schema ?? (await buildGraphQLSchema());
  await registerGraphQL(app, rt, schema);
  // The MCP tools are doors to GraphQL fields of the same schema (docs/mcp.md).
  await app.register(mcpRoutes, { rt, schema });
  app.server.on('connection', () => (lastActivity = Date.now()));
  app.decorate('msSinceLastActivity', () => Date.now() - lastActivity);
  return app;
}
