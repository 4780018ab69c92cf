import Fastify, { type FastifyInstance } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import type { Knex } from '@mikro-orm/postgresql';
import type { Runtime } from '../runtime.js';

interface TarnPool {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
}

/** The pool gauges are read at scrape time. */
async function scrape(rt: Runtime): Promise<string> {
  const { metrics } = rt;
  const pool = (rt.orm.em.getConnection().getKnex() as Knex & { client: { pool?: TarnPool } }).client.pool;
  if (pool) {
    metrics.dbPool.set({ state: 'used' }, pool.numUsed());
    metrics.dbPool.set({ state: 'free' }, pool.numFree());
    metrics.dbPool.set({ state: 'pending' }, pool.numPendingAcquires());
  }
  return metrics.registry.metrics();
}

function metricsEndpoint(app: FastifyInstance, rt: Runtime): void {
  app.get('/metrics', async (_request, reply) => reply.type(rt.metrics.registry.contentType).send(await scrape(rt)));
}

/**
 * The HTTP latency of every request, and, outside production, `GET /metrics` on the main port. Not
 * encapsulated (fastify-plugin), so its hook sees the routes of every other plugin. In production
 * the endpoint is on METRICS_PORT only (`metricsServer`): the public port answers 404 there.
 */
async function registerMetrics(app: FastifyInstance, { rt }: { rt: Runtime }): Promise<void> {
  const { metrics } = rt;

  app.addHook('onResponse', (request, reply, done) => {
    // The route pattern, never the raw URL: unknown paths must not create label values.
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    done();
  });

  if (!rt.config.isProduction) metricsEndpoint(app, rt);
}

export const metricsRoutes = fastifyPlugin(registerMetrics, { name: 'metrics' });

/** The second, private listener of production: `GET /metrics` and nothing else (fly.toml [metrics]). */
export async function metricsServer(rt: Runtime): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  metricsEndpoint(app, rt);
  await app.ready();
  return app;
}
