import { describe, expect, it } from 'vitest';
import { MeDocument } from '../../sdk/index.js';
import { uniqueEmail } from '../support/accounts.js';
import { BROWSER_SKIP_REASON, chromiumAvailable, submitCheckout, useBrowser, useWebBillingServer } from './support/browser.js';
import { eventually } from '../support/eventually.js';

/** Toss from the landing page when the card is refused (at Toss's window) or the first charge is declined. */

const web = useWebBillingServer(['toss']);
const ctx = useBrowser();

describe.skipIf(!chromiumAvailable)(`Toss checkout failures (${BROWSER_SKIP_REASON})`, () => {
  it('a refused card returns to /billing/toss/fail with Toss’s message, and the new account’s key is still shown once', async () => {
    web.tossSdk.decline('REJECT_CARD_COMPANY', 'The card company refused the card.');
    const page = await ctx.browser.newPage();
    await submitCheckout(page, web.server.url, { tier: 'TEAM', provider: 'TOSS', email: uniqueEmail('web-toss-fail') });
    await page.waitForURL(new RegExp(`^${web.server.url}/billing/toss/fail\\?`));
    expect(await page.locator('#toss-message').innerText()).toContain('The card company refused the card.');
    expect(await page.getByTestId('api-key').innerText()).toMatch(/^sk-stellar-[0-9a-f]{32}$/);
    expect(web.fakes.toss.charges).toHaveLength(0);
    await page.close();
  });

  it('a crafted fail link shows our own words, never the text in its URL', async () => {
    const page = await ctx.browser.newPage();
    await page.goto(`${web.server.url}/billing/toss/fail?code=SOMETHING_ELSE&message=${encodeURIComponent('Your card was stolen: call +82 10 0000 0000')}`);
    const message = page.locator('#toss-message');
    await message.waitFor({ state: 'visible' });
    expect(await message.innerText()).toBe('Toss Payments did not authorize the card.');
    expect(await page.content()).not.toContain('stolen');
    await page.close();
  });

  it('a declined first charge: /billing/toss/success shows the server’s PAYMENT_FAILED message and activates nothing', async () => {
    web.fakes.toss.declineNext('REJECT_CARD_PAYMENT', '한도초과 혹은 잔액부족으로 결제에 실패했습니다.');
    const email = uniqueEmail('web-toss-declined');
    const page = await ctx.browser.newPage();
    await submitCheckout(page, web.server.url, { tier: 'PRO', provider: 'TOSS', email });
    await page.waitForURL(new RegExp(`^${web.server.url}/billing/toss/success\\?`));
    const error = page.locator('#toss-error');
    await error.waitFor({ state: 'visible' });
    expect((await error.innerText()).length).toBeGreaterThan(0);
    const key = (await page.getByTestId('api-key').innerText()).trim();
    expect((await web.server.client(key).request(MeDocument)).me.tier).toBe('FREE');
    await page.close();
  });

  it('the buyer closes the Toss window: the modal says nothing was charged and shows the new key once; a retry buys for that account', async () => {
    web.tossSdk.closeWindowNext();
    const page = await ctx.browser.newPage();
    await submitCheckout(page, web.server.url, { tier: 'PRO', provider: 'TOSS', email: uniqueEmail('web-toss-closed') });
    const error = page.getByTestId('checkout-error');
    await error.waitFor({ state: 'visible' });
    expect(await error.innerText()).toBe('The Toss Payments window was closed. Nothing was charged.');
    expect(page.url()).toBe(`${web.server.url}/`);
    const key = (await page.getByTestId('checkout-modal').getByTestId('api-key').innerText()).trim();
    expect((await web.server.client(key).request(MeDocument)).me.tier).toBe('FREE');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);

    // Trying again buys for that account: the key field was filled with the new key.
    expect(await page.getByTestId('checkout-api-key').inputValue()).toBe(key);
    await page.getByTestId('checkout-submit').click();
    await page.waitForURL(`${web.server.url}/billing/success`);
    await eventually(async () => (await page.getByTestId('current-tier').innerText()) === 'PRO', 'current-tier PRO');
    expect(await page.getByTestId('api-key').count()).toBe(0);
    await page.close();
  });
});
