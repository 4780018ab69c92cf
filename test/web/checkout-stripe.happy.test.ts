import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueEmail } from '../support/accounts.js';
import { STRIPE, billingEnv, startProviderFakes, type ProviderFakes } from '../support/billing.js';
import type { TestServer } from '../support/server.js';
import { BROWSER_SKIP_REASON, chromiumAvailable, startWebServer, useBrowser } from './support/browser.js';

/** Stripe chosen in the modal: the browser lands on the Checkout Session URL the Stripe fake returned, for the tier's price. */

let fakes: ProviderFakes;
let server: TestServer;
const ctx = useBrowser();

beforeAll(async () => {
  if (!chromiumAvailable) return;
  fakes = await startProviderFakes();
  server = await startWebServer({ env: billingEnv(fakes, ['stripe']) });
});
afterAll(async () => {
  await server?.close();
  await fakes?.close();
});

describe.skipIf(!chromiumAvailable)(`Stripe checkout from the landing page (${BROWSER_SKIP_REASON})`, () => {
  it.each([
    ['PRO', STRIPE.pricePro],
    ['TEAM', STRIPE.priceTeam],
  ] as const)('%s: redirects to the URL the Stripe fake returned, and the fake was asked for price %s', async (tier, price) => {
    const email = uniqueEmail(`web-stripe-${tier.toLowerCase()}`);
    fakes.reset();
    const page = await ctx.browser.newPage();
    await page.goto(server.url);
    await page.getByTestId(`subscribe-${tier}`).click();
    await page.getByTestId('checkout-email').fill(email);
    await page.getByTestId('checkout-provider-STRIPE').click();
    await page.getByTestId('checkout-submit').click();
    await page.waitForURL(/^https:\/\/checkout\.stripe\.com\//);

    const sessions = [...fakes.stripe.checkoutSessions.values()].filter((session) => session.customer_email === email);
    expect(sessions).toHaveLength(1);
    expect(page.url()).toBe(sessions[0]!.url);

    const request = fakes.stripe.lastRequest('POST', '/v1/checkout/sessions')!;
    const body = request.body as Record<string, unknown>;
    expect(body.mode).toBe('subscription');
    expect(body.line_items).toEqual([{ price, quantity: '1' }]);
    expect(body.success_url).toBe(`${server.url}/billing/success`);
    expect(body.cancel_url).toBe(`${server.url}/billing/cancel`);
    // The browser went nowhere else off this machine.
    expect(ctx.browser.offMachine.filter((url) => !url.startsWith('https://checkout.stripe.com/'))).toEqual([]);
    await page.close();
  });

  it('coming back through the cancel URL shows that nothing was charged and the new account’s key once', async () => {
    const page = await ctx.browser.newPage();
    await page.goto(server.url);
    await page.getByTestId('subscribe-PRO').click();
    await page.getByTestId('checkout-email').fill(uniqueEmail('web-stripe-cancel'));
    await page.getByTestId('checkout-provider-STRIPE').click();
    await page.getByTestId('checkout-submit').click();
    await page.waitForURL(/^https:\/\/checkout\.stripe\.com\//);
    const session = [...fakes.stripe.checkoutSessions.values()].at(-1)!;
    await page.goto(session.cancel_url!);
    expect(await page.locator('h1').innerText()).toBe('Checkout cancelled');
    expect(await page.getByTestId('api-key').innerText()).toMatch(/^sk-stellar-[0-9a-f]{32}$/);
    await page.close();
  });
});
