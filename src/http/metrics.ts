import type { FastifyInstance } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import type { Knex } from '@mikro-orm/postgresql';
import type { Runtime } from '../runtime.js';

interface TarnPool {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
}

/**
 * `GET /metrics` in Prometheus format, and the HTTP latency of every request. Not encapsulated
 * (fastify-plugin), so its hook sees the routes of every other plugin.
 */
async function registerMetrics(app: FastifyInstance, { rt }: { rt: Runtime }): Promise<void> {
  const { metrics } = rt;

  app.addHook('onResponse', (request, reply, done) => {
    // The route pattern, never the raw URL: unknown paths must not create label values.
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    done();
  });

  app.get('/metrics', async (_request, reply) => {
    const pool = (rt.orm.em.getConnection().getKnex() as Knex & { client: { pool?: TarnPool } }).client.pool;
    if (pool) {
      metrics.dbPool.set({ state: 'used' }, pool.numUsed());
      metrics.dbPool.set({ state: 'free' }, pool.numFree());
      metrics.dbPool.set({ state: 'pending' }, pool.numPendingAcquires());
    }
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}

export const metricsRoutes = fastifyPlugin(registerMetrics, { name: 'metrics' });
