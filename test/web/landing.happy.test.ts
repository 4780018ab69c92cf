import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MeDocument, PlansDocument, UsageDocument, type PlansQuery } from '../../sdk/index.js';
import { configuredProviders, formatMoney, limitLines } from '../../web/format.js';
import { uniqueEmail } from '../support/accounts.js';
import { BROWSER_SKIP_REASON, SCREENSHOT_DIR, chromiumAvailable, submitCheckout, useWebBillingServer, useBrowser } from './support/browser.js';
import { eventually } from '../support/eventually.js';

/**
 * The landing page in Chromium against a running server with every provider on (Stripe, Lemon
 * Squeezy and Toss pointed at the fakes, plus Demo): plans from `plans`, the modal, a whole demo
 * purchase, and the screenshots a person looks at.
 */

const web = useWebBillingServer(['stripe', 'lemon', 'toss']);
const ctx = useBrowser();
let plans: PlansQuery['plans'];
beforeAll(async () => {
  if (chromiumAvailable) ({ plans } = await web.server.client().request(PlansDocument));
});

describe.skipIf(!chromiumAvailable)(`landing page in Chromium (${BROWSER_SKIP_REASON})`, () => {
  it('shows the three plans with the prices and limits the server answers to `plans`', async () => {
    const page = await ctx.browser.newPage();
    await page.goto(web.server.url);
    expect(plans.map((plan) => plan.tier)).toEqual(['FREE', 'PRO', 'TEAM']);
    for (const plan of plans) {
      const card = page.getByTestId(`plan-${plan.tier}`);
      await card.waitFor();
      const text = await card.innerText();
      expect(text).toContain(plan.name);
      for (const [label, value] of limitLines(plan.limits)) expect(text).toContain(`${value} ${label}`);
      for (const price of plan.prices) expect(text).toContain(formatMoney(price.amount, price.currency));
    }
    // Paid plans list a price per provider that is on, in USD and in KRW (Toss).
    expect(await page.getByTestId('plan-PRO').innerText()).toMatch(/\$29\b[\s\S]*₩39,000/);
    await page.close();
  });

  it('takes the figures from the live `plans` answer, not from the page (a changed answer shows changed figures)', async () => {
    const page = await ctx.browser.newPage();
    await page.route('**/graphql', async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as { data?: PlansQuery };
      if (!body.data?.plans) return route.fulfill({ response });
      for (const plan of body.data.plans) {
        if (plan.tier !== 'PRO') continue;
        plan.limits.maxMemories = 123_456;
        for (const price of plan.prices) price.amount += 1_234;
      }
      return route.fulfill({ response, json: body });
    });
    await page.goto(web.server.url);
    const text = await page.getByTestId('plan-PRO').innerText();
    expect(text).toContain('123,456 memories');
    const pro = plans.find((plan) => plan.tier === 'PRO')!;
    for (const price of pro.prices) expect(text).toContain(formatMoney(price.amount + 1_234, price.currency));
    await page.close();
  });

  it('Subscribe on Pro opens the modal with the email focused and exactly the configured providers; Escape closes it and focus returns', async () => {
    const page = await ctx.browser.newPage();
    await page.goto(web.server.url);
    const modal = page.getByTestId('checkout-modal');
    expect(await modal.isVisible()).toBe(false);
    await page.getByTestId('subscribe-PRO').click();
    await modal.waitFor({ state: 'visible' });
    expect(await page.getByRole('dialog').getAttribute('aria-labelledby')).toBe('checkout-title');
    expect(await page.locator('#checkout-title').innerText()).toContain('Pro');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('checkout-email');
    // Labels: every input of the modal has an accessible name.
    expect(await page.getByLabel('Email').getAttribute('data-testid')).toBe('checkout-email');

    const offered = await page.locator('[data-testid^="checkout-provider-"]').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-testid')));
    expect(offered).toEqual(configuredProviders(plans).map((provider) => `checkout-provider-${provider}`));
    expect(offered).toEqual(['checkout-provider-STRIPE', 'checkout-provider-LEMON_SQUEEZY', 'checkout-provider-TOSS', 'checkout-provider-DEMO']);

    await page.keyboard.press('Escape');
    await modal.waitFor({ state: 'hidden' });
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('subscribe-PRO');

    await page.getByTestId('subscribe-TEAM').click();
    await modal.waitFor({ state: 'visible' });
    expect(await page.locator('#checkout-title').innerText()).toContain('Team');
    await page.getByTestId('checkout-close').click();
    await modal.waitFor({ state: 'hidden' });
    await page.close();
  });

  it('Demo checkout with a new email ends on /billing/success showing the key, then tier PRO; the key works with PRO limits', async () => {
    const email = uniqueEmail('web-demo');
    const page = await ctx.browser.newPage();
    await submitCheckout(page, web.server.url, { tier: 'PRO', provider: 'DEMO', email });

    await page.waitForURL(new RegExp(`^${web.server.url}/billing/demo/[0-9a-f-]{36}$`));
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'demo-checkout-1280.png') });
    await page.getByTestId('demo-pay').click();
    await page.waitForURL(`${web.server.url}/billing/success`);

    const key = (await page.getByTestId('api-key').innerText()).trim();
    expect(key).toMatch(/^sk-stellar-[0-9a-f]{32}$/);
    await eventually(async () => (await page.getByTestId('current-tier').innerText()) === 'PRO', 'current-tier PRO');
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'billing-success-1280.png'), fullPage: true });

    const client = web.server.client(key);
    const { me } = await client.request(MeDocument);
    expect(me).toMatchObject({ email, tier: 'PRO', subscription: { provider: 'DEMO', tier: 'PRO', status: 'ACTIVE' } });
    const { usage } = await client.request(UsageDocument);
    expect(usage.tier).toBe('PRO');
    expect(usage.limits).toEqual(plans.find((plan) => plan.tier === 'PRO')!.limits);
    expect(client.rateLimit?.limit).toBe(usage.limits.requestsPerMinute);

    // Shown once: after a reload the key is gone from the page and from sessionStorage.
    await page.reload();
    await page.locator('h1').waitFor();
    expect(await page.getByTestId('api-key').count()).toBe(0);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await page.close();
  });

  it('Get a free API key registers a FREE account from the landing page and shows its key', async () => {
    const page = await ctx.browser.newPage();
    await page.goto(web.server.url);
    await page.getByTestId('plan-FREE').getByRole('button').click();
    await page.getByTestId('checkout-email').fill(uniqueEmail('web-free'));
    await page.getByTestId('checkout-submit').click();
    const key = (await page.getByTestId('api-key').innerText()).trim();
    expect((await web.server.client(key).request(MeDocument)).me.tier).toBe('FREE');
    await page.close();
  });

  it('shows the MCP set-up beside the SDK example, with this server\'s /mcp address to paste as it is', async () => {
    const page = await ctx.browser.newPage();
    await page.goto(web.server.url);
    const setup = page.getByTestId('mcp-setup');
    await page.getByTestId('connect-sdk').waitFor();
    expect(await setup.isVisible()).toBe(false);
    await page.getByTestId('connect-mcp').click();
    await setup.waitFor({ state: 'visible' });
    const text = await setup.innerText();
    expect(text).toContain(`claude mcp add --transport http stellar-memory \\\n  ${web.server.url}/mcp \\\n  --header "Authorization: Bearer $STELLAR_API_KEY"`);
    expect(text).toContain(`"url": "${web.server.url}/mcp"`);
    expect(await page.locator('#sdk').isVisible()).toBe(false);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'landing-mcp-1280.png') });
    await page.close();
  });

  it('writes screenshots of the landing page, the modal and the manage page at 1280 and 390 px wide; nothing overflows sideways', async () => {
    for (const [width, height] of [
      [1280, 900],
      [390, 844],
    ] as const) {
      const page = await ctx.browser.newPage({ width, height });
      await page.goto(web.server.url);
      await page.getByTestId('plan-TEAM').waitFor();
      await page.screenshot({ path: join(SCREENSHOT_DIR, `landing-${width}.png`), fullPage: true });
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      await page.getByTestId('subscribe-PRO').click();
      await page.getByTestId('checkout-modal').waitFor({ state: 'visible' });
      await page.screenshot({ path: join(SCREENSHOT_DIR, `checkout-modal-${width}.png`) });
      const box = (await page.getByTestId('checkout-modal').boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(width);
      await page.goto(`${web.server.url}/billing/manage`);
      await page.screenshot({ path: join(SCREENSHOT_DIR, `billing-manage-${width}.png`), fullPage: true });
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      await page.close();
    }
  });
});
