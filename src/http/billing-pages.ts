import type { FastifyInstance, FastifyReply } from 'fastify';
import { AppError, ErrorCode } from '../errors.js';
import type { Runtime } from '../runtime.js';
import { findOpenDemoCheckout, payDemoCheckout, type WebhookDelivery } from '../services/demo-checkout.js';

/**
 * The plain billing pages: where providers send buyers back (`/billing/success`, `/billing/cancel`,
 * `/billing/toss/success`, `/billing/toss/fail`, `/billing/manage`) and, outside production, the
 * demo provider's checkout page. Minimal on purpose; the landing page owns the look.
 */

const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function page(reply: FastifyReply, title: string, body: string, status = 200): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Stellar Memory</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#111}button{font:inherit;padding:.6rem 1.2rem;cursor:pointer}</style>
</head><body><h1>${escapeHtml(title)}</h1>
${body}
</body></html>`);
}

const money = (amount: number, currency: string) =>
  new Intl.NumberFormat('en-US', { style: 'currency', currency, minimumFractionDigits: currency === 'KRW' ? 0 : 2 }).format(currency === 'KRW' ? amount : amount / 100);

/** confirmTossBilling from the page Toss redirects to, with the customerKey and authKey it appends. */
const TOSS_CONFIRM_SCRIPT = `<p id="status">Confirming your card…</p>
<script>
const q = new URLSearchParams(location.search);
const status = document.getElementById('status');
fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ query: 'mutation($input: ConfirmTossBillingInput!) { confirmTossBilling(input: $input) { tier status currentPeriodEnd } }',
    variables: { input: { customerKey: q.get('customerKey') || '', authKey: q.get('authKey') || '' } } }) })
  .then((r) => r.json())
  .then((r) => { status.textContent = r.errors ? 'Payment not completed: ' + r.errors[0].message
    : 'Your ' + r.data.confirmTossBilling.tier + ' plan is active until ' + new Date(r.data.confirmTossBilling.currentPeriodEnd).toLocaleDateString() + '.'; })
  .catch(() => { status.textContent = 'Could not reach the server; reload this page to retry.'; });
</script>`;

export async function billingPages(app: FastifyInstance, { rt }: { rt: Runtime }): Promise<void> {
  app.get('/billing/success', async (_request, reply) => page(reply, 'Thank you', '<p>Your payment was received. Your plan becomes active as soon as the payment provider confirms it, usually within seconds.</p>'));
  app.get('/billing/cancel', async (_request, reply) => page(reply, 'Checkout cancelled', '<p>Nothing was charged. <a href="/">Back to the plans</a>.</p>'));
  app.get('/billing/manage', async (_request, reply) =>
    page(reply, 'Your subscription', '<p>Query <code>subscription</code> with your API key to see it, and call <code>cancelSubscription</code> to stop renewing at the end of the paid period.</p>'),
  );
  app.get('/billing/toss/success', async (_request, reply) => page(reply, 'Finishing your payment', TOSS_CONFIRM_SCRIPT));
  app.get('/billing/toss/fail', async (_request, reply) => page(reply, 'Card not authorized', '<p>Nothing was charged. <a href="/">Back to the plans</a>.</p>'));

  if (!rt.config.billingDemo) return;

  // The demo page posts an empty form; read it as text so it needs no other parser.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.get<{ Params: { id: string } }>('/billing/demo/:id', async (request, reply) => {
    const checkout = await findOpenDemoCheckout(rt.forkEm(), request.params.id);
    if (!checkout) return page(reply, 'Checkout not found', '<p>This demo checkout is unknown, already paid or expired.</p>', 404);
    return page(
      reply,
      'Demo checkout',
      `<p>Demo payment (no money moves) for <strong>${escapeHtml(checkout.email)}</strong>:</p>
<p><strong>${escapeHtml(checkout.planName)}</strong> — ${escapeHtml(money(checkout.amount, checkout.currency))} / month</p>
<form method="post" action="/billing/demo/${escapeHtml(checkout.id)}/pay"><button type="submit" data-testid="demo-pay">Pay (demo)</button></form>
<p><a href="${escapeHtml(checkout.cancelUrl)}">Cancel</a></p>`,
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
        return page(reply, 'Checkout not found', '<p>This demo checkout is unknown, already paid or expired.</p>', 404);
      }
      throw err;
    }
  });
}
