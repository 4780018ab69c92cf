import type { FastifyInstance, FastifyReply } from 'fastify';
import { AppError, ErrorCode } from '../errors.js';
import type { Runtime } from '../runtime.js';
import { findOpenDemoCheckout, payDemoCheckout, type WebhookDelivery } from '../services/billing/demo-checkout.js';
import { escapeHtml, PAGE_HEADERS, renderPage } from './page-layout.js';

/**
 * The demo provider's checkout page (outside production): it completes the payment without money,
 * through a signed demo webhook to this process's own /webhooks/demo.
 * The pages buyers come back to live in billing-result-pages.ts.
 */

function page(reply: FastifyReply, title: string, body: string, status = 200): FastifyReply {
  return reply.code(status).headers(PAGE_HEADERS).send(renderPage({ title, pageId: 'demo-checkout', body }));
}

/** For an unknown id, and for a checkout paid or expired meanwhile. */
const checkoutNotFound = (reply: FastifyReply) => page(reply, 'Checkout not found', '<p>This demo checkout is unknown, already paid or expired.</p>', 404);

const money = (amount: number, currency: string) =>
  new Intl.NumberFormat('en-US', { style: 'currency', currency, minimumFractionDigits: currency === 'KRW' ? 0 : 2 }).format(currency === 'KRW' ? amount : amount / 100);

export async function billingPages(app: FastifyInstance, { rt }: { rt: Runtime }): Promise<void> {
  if (!rt.config.billingDemo) return;

  // The demo page posts an empty form; read it as text so it needs no other parser.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.get<{ Params: { id: string } }>('/billing/demo/:id', async (request, reply) => {
    const checkout = await findOpenDemoCheckout(rt.forkEm(), request.params.id);
    if (!checkout) return checkoutNotFound(reply);
    return page(
      reply,
      'Demo checkout',
      `<p>Demo payment (no money moves) for <strong>${escapeHtml(checkout.email)}</strong>:</p>
<p><strong>${escapeHtml(checkout.planName)}</strong> — ${escapeHtml(money(checkout.amount, checkout.currency))} / month</p>
<form method="post" action="/billing/demo/${escapeHtml(checkout.id)}/pay" class="actions"><button type="submit" class="button button--primary" data-testid="demo-pay">Pay (demo)</button> <a class="button button--ghost" href="${escapeHtml(checkout.cancelUrl)}">Cancel</a></form>`,
    );
  });

  // The signed demo event goes through this process's own HTTP stack (only it knows the demo key).
  const deliverToSelf: WebhookDelivery = async (url, payload, headers) => (await app.inject({ method: 'POST', url, payload, headers })).statusCode;

  app.post<{ Params: { id: string } }>('/billing/demo/:id/pay', async (request, reply) => {
    try {
      const { successUrl } = await payDemoCheckout(rt, rt.forkEm(), request.params.id, deliverToSelf);
      return reply.redirect(successUrl, 303);
    } catch (err) {
      if (err instanceof AppError && err.code === ErrorCode.NOT_FOUND) {
        return checkoutNotFound(reply);
      }
      throw err;
    }
  });
}
