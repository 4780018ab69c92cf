import type { Page, Request } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { uniqueEmail } from '../support/accounts.js';
import { LogCapture } from '../support/logs.js';
import { BROWSER_SKIP_REASON, chromiumAvailable, submitCheckout, useBrowser, useWebBillingServer } from './support/browser.js';

/**
 * The checkout in the browser never leaks the key and never sends the buyer anywhere but the
 * provider's page (docs/billing.md's redirect allow-list; the API key never travels in a URL, docs/security.md).
 */

const logs = new LogCapture();
const web = useWebBillingServer(['stripe'], { logs });
const ctx = useBrowser();

const checkoutPro = (page: Page, origin: string, provider: 'DEMO' | 'STRIPE') => submitCheckout(page, origin, { tier: 'PRO', provider, email: uniqueEmail('web-sec') });

/** The checkout mutations the page sent, with their variables. */
function recordCheckouts(page: Page): { input: Record<string, unknown> }[] {
  const sent: { input: Record<string, unknown> }[] = [];
  page.on('request', (request: Request) => {
    const body = request.postDataJSON() as { query?: string; variables?: { input: Record<string, unknown> } } | null;
    if (request.url().endsWith('/graphql') && body?.query?.includes('mutation Checkout')) sent.push(body.variables!);
  });
  return sent;
}

describe.skipIf(!chromiumAvailable)(`checkout security in Chromium (${BROWSER_SKIP_REASON})`, () => {
  it('the new key is never in a URL the browser loads or navigates to, in its history, or in a log line', async () => {
    const navigations: string[] = [];
    const page = await ctx.browser.newPage();
    page.on('framenavigated', (frame) => navigations.push(frame.url()));
    const requestsBefore = ctx.browser.requests.length;
    await checkoutPro(page, web.server.url, 'DEMO');
    await page.getByTestId('demo-pay').click();
    await page.waitForURL(`${web.server.url}/billing/success`);
    const key = (await page.getByTestId('api-key').innerText()).trim();
    expect(key).toMatch(/^sk-stellar-/);

    const urls = [...ctx.browser.requests.slice(requestsBefore), ...navigations, page.url()];
    expect(urls.length).toBeGreaterThan(4);
    for (const url of urls) expect(url).not.toContain(key);
    expect(await page.evaluate(() => history.length)).toBeGreaterThan(1);
    expect(logs.text()).not.toContain(key);
    expect(logs.text()).not.toContain(key.slice(-12));
    await page.close();
  });

  it('Stripe: the key is in neither the redirect URL nor anything sent to Stripe', async () => {
    const page = await ctx.browser.newPage();
    const sent = recordCheckouts(page);
    const keys: string[] = [];
    // Read the checkout answer on its way to the page (a response body is gone once the page has left).
    await page.route('**/graphql', async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as { data?: { checkout?: { apiKey?: { secret: string } | null } } };
      if (body.data?.checkout?.apiKey) keys.push(body.data.checkout.apiKey.secret);
      return route.fulfill({ response, json: body });
    });
    await checkoutPro(page, web.server.url, 'STRIPE');
    await page.waitForURL(/^https:\/\/checkout\.stripe\.com\//);
    expect(sent).toHaveLength(1);
    expect(keys).toHaveLength(1);
    expect(page.url()).not.toContain(keys[0]);
    for (const request of web.fakes.stripe.requests) expect(request.rawBody + request.path).not.toContain(keys[0]);
    expect(logs.text()).not.toContain(keys[0]);
    await page.close();
  });

  it('a page opened on an origin that is not PUBLIC_URL or CORS_ORIGINS: the server refuses its return URLs and the browser stays', async () => {
    const otherOrigin = web.server.url.replace('127.0.0.1', 'localhost');
    const page = await ctx.browser.newPage();
    const sent = recordCheckouts(page);
    await checkoutPro(page, otherOrigin, 'STRIPE');
    const error = page.getByTestId('checkout-error');
    await error.waitFor({ state: 'visible' });
    expect(await error.innerText()).toContain(`must be on ${web.server.url}`);
    expect(sent[0]!.input.successUrl).toBe(`${otherOrigin}/billing/success`);
    expect(page.url()).toBe(`${otherOrigin}/`);
    expect(web.fakes.stripe.requests.filter((r) => r.rawBody.includes('localhost'))).toEqual([]);
    await page.close();
  });

  it('takes no redirect target from its own URL: return URLs are always this origin’s billing pages', async () => {
    const page = await ctx.browser.newPage();
    const sent = recordCheckouts(page);
    await checkoutPro(page, `${web.server.url}/?successUrl=https%3A%2F%2Fevil.example%2F&redirect=https%3A%2F%2Fevil.example%2F#https://evil.example/`, 'DEMO');
    await page.waitForURL(/\/billing\/demo\//);
    expect(sent[0]!.input).toMatchObject({ successUrl: `${web.server.url}/billing/success`, cancelUrl: `${web.server.url}/billing/cancel` });
    await page.close();
  });

  it('never follows a checkout URL that is not http(s) (javascript:, data:), even if an answer carried one', async () => {
    for (const url of ['javascript:alert(document.domain)', 'data:text/html,<script>alert(1)</script>']) {
      const page = await ctx.browser.newPage();
      let dialogs = 0;
      page.on('dialog', (dialog) => {
        dialogs++;
        void dialog.dismiss();
      });
      await page.route('**/graphql', async (route) => {
        if (!route.request().postData()?.includes('mutation Checkout')) return route.continue();
        return route.fulfill({ json: { data: { checkout: { provider: 'STRIPE', sessionId: 'cs_x', url, toss: null, apiKey: null } } } });
      });
      await checkoutPro(page, web.server.url, 'STRIPE');
      const error = page.getByTestId('checkout-error');
      await error.waitFor({ state: 'visible' });
      expect(await error.innerText()).toContain('will not open');
      expect(page.url()).toBe(`${web.server.url}/`);
      expect(dialogs).toBe(0);
      await page.close();
    }
  });
});
