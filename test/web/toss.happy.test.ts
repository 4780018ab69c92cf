import { describe, expect, it } from 'vitest';
import { MeDocument } from '../../sdk/index.js';
import { uniqueEmail } from '../support/accounts.js';
import { BROWSER_SKIP_REASON, chromiumAvailable, submitCheckout, useBrowser, useWebBillingServer } from './support/browser.js';
import { eventually } from '../support/eventually.js';

/**
 * Toss from the landing page: the page loads the Toss browser SDK from TOSS_SDK_URL (a loopback
 * fake here), the card authorization returns to /billing/toss/success, which calls
 * confirmTossBilling (first month charged at the Toss API fake) and hands over to /billing/success.
 */

const web = useWebBillingServer(['toss']);
const ctx = useBrowser();

describe.skipIf(!chromiumAvailable)(`Toss checkout from the landing page (${BROWSER_SKIP_REASON})`, () => {
  it('a new email: SDK authorization, confirmTossBilling, then the key and tier PRO on /billing/success', async () => {
    const email = uniqueEmail('web-toss');
    const page = await ctx.browser.newPage();
    await submitCheckout(page, web.server.url, { tier: 'PRO', provider: 'TOSS', email });

    await page.waitForURL(`${web.server.url}/billing/success`);
    expect(web.tossSdk.requests.map((r) => r.path)).toEqual(['/v2/standard', '/billing-auth']);
    const auth = web.tossSdk.requests[1]!.query as Record<string, string>;
    expect(auth.successUrl).toBe(`${web.server.url}/billing/toss/success`);
    expect(auth.failUrl).toBe(`${web.server.url}/billing/toss/fail`);

    const key = (await page.getByTestId('api-key').innerText()).trim();
    await eventually(async () => (await page.getByTestId('current-tier').innerText()) === 'PRO', 'current-tier PRO');
    expect(web.fakes.toss.charges).toHaveLength(1);
    expect(web.fakes.toss.charges[0]).toMatchObject({ totalAmount: 39_000, status: 'DONE' });
    const { me } = await web.server.client(key).request(MeDocument);
    expect(me).toMatchObject({ email, tier: 'PRO', subscription: { provider: 'TOSS', status: 'ACTIVE' } });
    await page.close();
  });
});
