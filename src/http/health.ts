import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../runtime.js';

const withTimeout = <T>(promise: Promise<T>, ms: number): Promise<T> =>
  Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())]);

/**
 * `/healthz`: the process answers. `/readyz`: the database and (when configured) Redis answer too,
 * and the instance is not draining for shutdown. A failed check is named, never described: the
 * driver's message (hosts, users) goes to the log, not to whoever asks.
 */
export async function healthRoutes(app: FastifyInstance, { rt }: { rt: Runtime }): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    if (rt.draining) return reply.code(503).send({ status: 'draining', checks: {} });
    const checks: Record<string, string> = {};
    let ready = true;
    try {
      await withTimeout(rt.forkEm().execute('select 1'), 2_000);
      checks.database = 'ok';
    } catch (err) {
      ready = false;
      checks.database = 'unreachable';
      rt.logger.warn({ err, check: 'database' }, 'readiness check failed');
    }
    if (rt.redis) {
      try {
        await withTimeout(rt.redis.ping(), 2_000);
        checks.redis = 'ok';
      } catch (err) {
        ready = false;
        checks.redis = 'unreachable';
        rt.logger.warn({ err, check: 'redis' }, 'readiness check failed');
      }
    }
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });
}
