import type { FastifyInstance } from 'fastify';
import { PAGE_HEADERS, renderPage } from './page-layout.js';

/**
 * Where providers send buyers back (docs/development.md): `/billing/success`, `/billing/cancel`,
 * `/billing/toss/success`, `/billing/toss/fail`, `/billing/manage`. Static markup; the billing
 * script (web/billing.ts) fills it from sessionStorage and the API, so nothing secret is ever in a
 * URL or rendered by the server.
 */

const CREATED_KEY = `<div class="created-key" id="created-key" hidden></div>`;

const PAGES: Record<string, { title: string; pageId: string; body: string }> = {
  '/billing/success': {
    title: 'Thank you',
    pageId: 'success',
    body: `<p class="lead" id="success-lead">Your payment was received. Your plan becomes active as soon as the payment provider confirms it, usually within seconds.</p>
${CREATED_KEY}
<div class="tier-status" id="tier-status" hidden>
  <span class="tier-status__label">Your plan</span>
  <strong class="tier-badge" id="current-tier" data-testid="current-tier" aria-live="polite"></strong>
  <p class="hint" id="tier-note" aria-live="polite"></p>
</div>
<p class="actions"><a class="button button--primary" href="/#sdk">Start storing memories</a> <a class="button button--ghost" href="/billing/manage">Manage subscription</a></p>`,
  },
  '/billing/cancel': {
    title: 'Checkout cancelled',
    pageId: 'cancel',
    body: `<p class="lead">Nothing was charged. You can pick a plan again whenever you like.</p>
${CREATED_KEY}
<p class="actions"><a class="button button--primary" href="/#pricing">Back to the plans</a></p>`,
  },
  '/billing/toss/success': {
    title: 'Finishing your payment',
    pageId: 'toss-success',
    body: `<p class="lead" id="toss-status" aria-live="polite">Confirming your card with Toss Payments…</p>
<p class="form-error" id="toss-error" role="alert" hidden></p>
${CREATED_KEY}
<p class="actions" id="toss-actions" hidden><a class="button button--primary" href="/#pricing">Back to the plans</a></p>`,
  },
  '/billing/toss/fail': {
    title: 'Card not authorized',
    pageId: 'toss-fail',
    body: `<p class="lead">Nothing was charged.</p>
<p class="form-error" id="toss-message" role="alert" hidden></p>
${CREATED_KEY}
<p class="actions"><a class="button button--primary" href="/#pricing">Back to the plans</a></p>`,
  },
  '/billing/manage': {
    title: 'Your subscription',
    pageId: 'manage',
    body: `<p class="lead">Enter an API key of your account to see its plan, open the provider's billing portal or stop renewing.</p>
<form class="inline-form" id="manage-form" novalidate>
  <div class="field">
    <label for="manage-key">API key</label>
    <input id="manage-key" name="apiKey" type="password" autocomplete="off" spellcheck="false" placeholder="sk-stellar-…" required>
  </div>
  <button type="submit" class="button button--primary" id="manage-submit">Show my subscription</button>
</form>
<p class="form-error" id="manage-error" role="alert" hidden></p>
<div class="subscription" id="manage-result" hidden>
  <dl class="facts">
    <div><dt>Plan</dt><dd id="manage-tier"></dd></div>
    <div><dt>Subscription</dt><dd id="manage-status"></dd></div>
    <div><dt>Paid through</dt><dd id="manage-period"></dd></div>
  </dl>
  <p class="actions">
    <button type="button" class="button button--outline" id="manage-portal" hidden>Open billing portal</button>
    <button type="button" class="button button--danger" id="manage-cancel" hidden>Cancel at period end</button>
  </p>
  <p class="hint" id="manage-note" aria-live="polite"></p>
</div>`,
  },
};

export async function billingResultPages(app: FastifyInstance): Promise<void> {
  for (const [path, page] of Object.entries(PAGES)) {
    const html = renderPage({ ...page, script: 'billing.js' });
    app.get(path, async (_request, reply) => reply.headers(PAGE_HEADERS).header('content-security-policy', BILLING_PAGE_CSP).send(html));
  }
}

/** The billing pages load only this origin's script and talk only to this origin's API. */
const BILLING_PAGE_CSP = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
