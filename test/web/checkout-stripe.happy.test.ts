import { describe, expect, it } from 'vitest';
import { uniqueEmail } from '../support/accounts.js';
import { STRIPE } from '../support/billing.js';
import { BROWSER_SKIP_REASON, chromiumAvailable, submitCheckout, useWebBillingServer, useBrowser } from './support/browser.js';

/** Stripe chosen in the modal: the browser lands on the Checkout Session URL the Stripe fake returned, for the tier's price. */

const web = useWebBillingServer(['stripe']);
const ctx = useBrowser();

describe.skipIf(!chromiumAvailable)(`Stripe checkout from the landing page (${BROWSER_SKIP_REASON})`, () => {
  it.each([
    ['PRO', STRIPE.pricePro],
    ['TEAM', STRIPE.priceTeam],
  ] as const)('%s: redirects to the URL the Stripe fake returned, and the fake was asked for price %s', async (tier, price) => {
    const email = uniqueEmail(`web-stripe-${tier.toLowerCase()}`);
    const page = await ctx.browser.newPage();
    await submitCheckout(page, web.server.url, { tier, provider: 'STRIPE', email });
    await page.waitForURL(/^https:\/\/checkout\.stripe\.com\//);

    const sessions = [...web.fakes.stripe.checkoutSessions.values()].filter((session) => session.customer_email === email);
    expect(sessions).toHaveLength(1);
    expect(page.url()).toBe(sessions[0]!.url);

    const request = web.fakes.stripe.lastRequest('POST', '/v1/checkout/sessions')!;
    const body = request.body as Record<string, unknown>;
    expect(body.mode).toBe('subscription');
    expect(body.line_items).toEqual([{ price, quantity: '1' }]);
    expect(body.success_url).toBe(`${web.server.url}/billing/success`);
    expect(body.cancel_url).toBe(`${web.server.url}/billing/cancel`);
    // The browser went nowhere else off this machine.
    expect(ctx.browser.offMachine.filter((url) => !url.startsWith('https://checkout.stripe.com/'))).toEqual([]);
    await page.close();
  });

  it('coming back through the cancel URL shows that nothing was charged and the new account’s key once', async () => {
    const page = await ctx.browser.newPage();
    await submitCheckout(page, web.server.url, { tier: 'PRO', provider: 'STRIPE', email: uniqueEmail('web-stripe-cancel') });
    await page.waitForURL(/^https:\/\/checkout\.stripe\.com\//);
    const session = [...web.fakes.stripe.checkoutSessions.values()].at(-1)!;
    await page.goto(session.cancel_url!);
    expect(await page.locator('h1').innerText()).toBe('Checkout cancelled');
    expect(await page.getByTestId('api-key').innerText()).toMatch(/^sk-stellar-[0-9a-f]{32}$/);
    await page.close();
  });
});
