import type { FastifyInstance } from 'fastify';
import { Provider } from '../entities/enums.js';
import { RETRY_AFTER_HEADER } from '../http/headers.js';
import type { Runtime } from '../runtime.js';
import { receiveWebhook } from '../services/billing/webhooks/apply-webhook-event.js';

/** The raw body limit of the webhook routes (docs/billing.md). */
const WEBHOOK_BODY_LIMIT = 1024 * 1024;

/** One route per provider; `/webhooks/demo` exists only outside production. */
const WEBHOOK_ROUTES: ReadonlyArray<{ path: string; provider: Provider }> = [
  { path: '/webhooks/stripe', provider: Provider.STRIPE },
  { path: '/webhooks/lemonsqueezy', provider: Provider.LEMON_SQUEEZY },
  { path: '/webhooks/toss', provider: Provider.TOSS },
  { path: '/webhooks/demo', provider: Provider.DEMO },
];

/**
 * The REST sidecar for payment providers (docs/billing.md). In its own encapsulated scope every body is
 * read as raw bytes (signatures are computed over them), whatever its content type, up to 1 MB; the
 * rest of the server keeps its parsers. The routes only adapt HTTP to the shared ingest service.
 */
export async function webhookRoutes(app: FastifyInstance, { rt }: { rt: Runtime }): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_request, body, done) => done(null, body));

  for (const { path, provider } of WEBHOOK_ROUTES) {
    if (provider === Provider.DEMO && rt.config.isProduction) continue;
    app.post(path, { bodyLimit: WEBHOOK_BODY_LIMIT }, async (request, reply) => {
      const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const receipt = await receiveWebhook(rt, rt.forkEm(), provider, { rawBody, headers: request.headers, clientIp: request.clientIp });
      if (receipt.retryAfterSeconds) reply.header(RETRY_AFTER_HEADER, String(receipt.retryAfterSeconds));
      // Only the status matters to providers; the body helps whoever reads delivery logs.
      return reply
        .code(receipt.status)
        .send(receipt.status === 200 ? { received: true, outcome: receipt.outcome } : { received: false, error: receipt.message ?? receipt.outcome });
    });
  }
}
