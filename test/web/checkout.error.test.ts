import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { CheckoutDocument, type CheckoutInput } from '../../sdk/index.js';
import { uniqueEmail } from '../support/accounts.js';
import { BROWSER_SKIP_REASON, chromiumAvailable, submitCheckout, useBrowser, useWebBillingServer, type CheckoutChoice } from './support/browser.js';

/** What the modal shows when checkout fails: the server's own message, inline, and the buyer stays put. */

const web = useWebBillingServer(['stripe']);
const ctx = useBrowser();

/** The message the server gives for this checkout input (through the SDK, as any client would see it). */
async function serverMessage(input: CheckoutInput, apiKey?: string): Promise<string> {
  const response = await web.server.client(apiKey).raw(CheckoutDocument, { input });
  expect(response.errors).toHaveLength(1);
  return response.errors[0]!.message;
}

/** Submits a Pro checkout and returns the error text the modal shows. */
async function submitPro(page: Page, choice: Omit<CheckoutChoice, 'tier'>): Promise<string> {
  await submitCheckout(page, web.server.url, { tier: 'PRO', ...choice });
  const error = page.getByTestId('checkout-error');
  await error.waitFor({ state: 'visible' });
  return error.innerText();
}

describe.skipIf(!chromiumAvailable)(`checkout errors in the modal (${BROWSER_SKIP_REASON})`, () => {
  it('an invalid email shows the server’s error in the modal, marks the field invalid and leaves nowhere', async () => {
    const page = await ctx.browser.newPage();
    const shown = await submitPro(page, { email: 'not-an-email', provider: 'DEMO' });
    expect(shown).toBe(await serverMessage({ tier: 'PRO', provider: 'DEMO', email: 'not-an-email' }));
    expect(shown).toMatch(/email/i);
    expect(page.url()).toBe(`${web.server.url}/`);
    expect(await page.getByTestId('checkout-modal').isVisible()).toBe(true);
    expect(await page.getByTestId('checkout-email').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByTestId('checkout-error').getAttribute('role')).toBe('alert');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);

    // Fixing the email clears the error on the next try.
    await page.getByTestId('checkout-email').fill(uniqueEmail('web-fixed'));
    await page.getByTestId('checkout-submit').click();
    await page.waitForURL(/\/billing\/demo\//);
    await page.close();
  });

  it('no email and no key: the server’s "email required" message', async () => {
    const page = await ctx.browser.newPage();
    const shown = await submitPro(page, { provider: 'DEMO' });
    expect(shown).toBe(await serverMessage({ tier: 'PRO', provider: 'DEMO', email: null }));
    await page.close();
  });

  it('an unknown API key: the server’s message, nothing created', async () => {
    const page = await ctx.browser.newPage();
    const badKey = 'sk-stellar-00000000000000000000000000000000';
    const shown = await submitPro(page, { apiKey: badKey, provider: 'DEMO' });
    expect(shown).toBe(await serverMessage({ tier: 'PRO', provider: 'DEMO' }, badKey));
    await page.close();
  });

  it('Stripe failing: the provider error is shown, the buyer can retry, and no account was left behind', async () => {
    const email = uniqueEmail('web-stripe-down');
    web.fakes.stripe.fail('error500');
    try {
      const page = await ctx.browser.newPage();
      const shown = await submitPro(page, { email, provider: 'STRIPE' });
      expect(shown.length).toBeGreaterThan(0);
      expect(await page.getByTestId('checkout-submit').isEnabled()).toBe(true);
      expect(await web.server.sql(`select 1 from users where email = ?`, [email])).toEqual([]);
      await page.close();
    } finally {
      web.fakes.stripe.fail('ok');
    }
  });

  it('the modal offers only the providers that are on: Stripe and Demo here, no Lemon Squeezy or Toss', async () => {
    const page = await ctx.browser.newPage();
    await page.goto(web.server.url);
    await page.getByTestId('subscribe-TEAM').click();
    const offered = await page.locator('[data-testid^="checkout-provider-"]').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-testid')));
    expect(offered).toEqual(['checkout-provider-STRIPE', 'checkout-provider-DEMO']);
    await page.close();
  });
});
