import { describe, expect, it } from 'vitest';
import { BROWSER_SKIP_REASON, chromiumAvailable, useBrowser, useWebBillingServer } from './support/browser.js';

/**
 * A development server that other machines can reach (HOST=0.0.0.0) must not hand out paid plans
 * through the demo provider (issue 15, finding 4): the landing page offers only the real providers.
 */

const web = useWebBillingServer(['stripe'], { env: { HOST: '0.0.0.0' } });
const ctx = useBrowser();

describe.skipIf(!chromiumAvailable)(`the landing page of a server listening on every interface (${BROWSER_SKIP_REASON})`, () => {
  it('offers the configured providers only, without Demo', async () => {
    const page = await ctx.browser.newPage();
    await page.goto(web.server.url);
    await page.getByTestId('subscribe-PRO').click();
    await page.getByTestId('checkout-modal').waitFor({ state: 'visible' });
    const offered = await page.locator('[data-testid^="checkout-provider-"]').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-testid')));
    expect(offered).toEqual(['checkout-provider-STRIPE']);
    await page.close();
  });
});
