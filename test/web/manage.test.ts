import { describe, expect, it } from 'vitest';
import { CheckoutDocument, MeDocument } from '../../sdk/index.js';
import { registerUser } from '../support/accounts.js';
import { BROWSER_SKIP_REASON, chromiumAvailable, useBrowser, useWebBillingServer } from './support/browser.js';

/** /billing/manage (the Toss and Demo "portal"): see the plan with a key, stop renewing. */

const web = useWebBillingServer([]);
const ctx = useBrowser();

describe.skipIf(!chromiumAvailable)(`manage page in Chromium (${BROWSER_SKIP_REASON})`, () => {
  it('shows the subscription for a key and cancels it at period end', async () => {
    const user = await registerUser(web.server);
    const { checkout } = await user.client.request(CheckoutDocument, { input: { tier: 'PRO', provider: 'DEMO' } });
    const paid = await fetch(`${web.server.url}/billing/demo/${checkout.sessionId}/pay`, { method: 'POST', redirect: 'manual' });
    expect(paid.status).toBe(303);

    const page = await ctx.browser.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    await page.goto(`${web.server.url}/billing/manage`);
    await page.getByLabel('API key').fill(user.secret);
    await page.getByRole('button', { name: 'Show my subscription' }).click();
    await page.locator('#manage-result').waitFor({ state: 'visible' });
    expect(await page.locator('#manage-tier').innerText()).toBe(`Pro (${user.email})`);
    expect(await page.locator('#manage-status').innerText()).toContain('active');
    // Demo's portal is this page: no portal button, only cancel.
    expect(await page.locator('#manage-portal').isVisible()).toBe(false);

    await page.getByRole('button', { name: 'Cancel at period end' }).click();
    await page.getByText('Renewal stopped').waitFor();
    expect(await page.locator('#manage-status').innerText()).toContain('ends at period end');
    expect(await page.locator('#manage-cancel').isVisible()).toBe(false);
    const { me } = await user.client.request(MeDocument);
    expect(me.subscription).toMatchObject({ status: 'CANCELED', cancelAtPeriodEnd: true });
    expect(me.tier).toBe('PRO');
    await page.close();
  });

  it('an unknown key shows the server’s message', async () => {
    const page = await ctx.browser.newPage();
    await page.goto(`${web.server.url}/billing/manage`);
    await page.getByLabel('API key').fill('sk-stellar-00000000000000000000000000000000');
    await page.getByRole('button', { name: 'Show my subscription' }).click();
    const error = page.locator('#manage-error');
    await error.waitFor({ state: 'visible' });
    const expected = await web.server.client('sk-stellar-00000000000000000000000000000000').raw(MeDocument);
    expect(await error.innerText()).toBe(expected.errors[0]!.message);
    await page.close();
  });
});
