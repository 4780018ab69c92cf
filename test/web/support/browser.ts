import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startFakeTossBrowserSdk, type FakeTossBrowserSdk } from '../../fakes/toss-browser-sdk.js';
import { billingEnv, startProviderFakes, type ProviderFakes, type ProviderName } from '../../support/billing.js';
import { startTestServer, type TestServer, type TestServerOptions } from '../../support/server.js';

/**
 * Browser tests drive Debian's Chromium (`apt-get install chromium`, done by .ci/run when missing)
 * through playwright-core; no browser is ever downloaded. Without /usr/bin/chromium they skip and
 * say why. The browser reaches only 127.0.0.1: every other request is answered by a stub (the
 * provider pages a checkout redirects to) or aborted, and recorded.
 */

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const chromiumAvailable = existsSync(CHROMIUM);
export const BROWSER_SKIP_REASON = `needs Chromium at ${CHROMIUM} (apt-get install chromium; .ci/run installs it)`;
if (!chromiumAvailable) console.log(`[tests] browser tests skipped: ${BROWSER_SKIP_REASON}`);

export const SCREENSHOT_DIR = join(process.cwd(), 'test-artifacts', 'screenshots');

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Pages outside the loopback that a test lets the browser "open": a stub page, nothing leaves the machine. */
const STUBBED_HOSTS = ['checkout.stripe.com', 'billing.stripe.com'];

export interface Browser {
  context: BrowserContext;
  /** Every request the browser made, in order (URLs). */
  requests: string[];
  /** Requests to anywhere but 127.0.0.1/localhost, stubbed or aborted. */
  offMachine: string[];
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  close(): Promise<void>;
}

const isLoopback = (url: URL) => url.hostname === '127.0.0.1' || url.hostname === 'localhost';

export async function launchBrowser(): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'stellar-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  const requests: string[] = [];
  const offMachine: string[] = [];
  await context.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    requests.push(url.href);
    if (url.protocol === 'data:' || url.protocol === 'blob:' || isLoopback(url)) return route.continue();
    offMachine.push(url.href);
    if (STUBBED_HOSTS.includes(url.hostname)) return route.fulfill({ status: 200, contentType: 'text/html', body: `<!doctype html><title>${url.hostname} (stub)</title><h1>${url.hostname}</h1>` });
    return route.abort('blockedbyclient');
  });
  return {
    context,
    requests,
    offMachine,
    async newPage(viewport) {
      const page = await context.newPage();
      if (viewport) await page.setViewportSize(viewport);
      // Generous: the whole suite shares two cores with this browser.
      page.setDefaultTimeout(30_000);
      return page;
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * A test server whose PUBLIC_URL is its real address, so checkout's redirect URLs (which must be
 * on PUBLIC_URL) and the demo checkout page lead back to it.
 */
export async function startWebServer(options: TestServerOptions = {}): Promise<TestServer> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return await startTestServer({ ...options, port, env: { PUBLIC_URL: `http://127.0.0.1:${port}`, ...options.env } });
    } catch (error) {
      // Another process took the port between the probe and the listen: try another one.
      if (attempt >= 3 || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    }
  }
}

/** A browser for the whole test file (when Chromium is there), closed afterwards. */
export function useBrowser(): { browser: Browser } {
  const ctx = {} as { browser: Browser };
  beforeAll(async () => {
    if (!chromiumAvailable) return;
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    ctx.browser = await launchBrowser();
  });
  afterAll(async () => {
    await ctx.browser?.close();
  });
  return ctx;
}

export interface WebBillingServer {
  server: TestServer;
  fakes: ProviderFakes;
  /** The Toss browser SDK the landing page loads (TOSS_SDK_URL), a loopback fake. */
  tossSdk: FakeTossBrowserSdk;
}

/**
 * The usual browser test file: the provider fakes and a web server with `providers` pointed at
 * them (Demo is on as well, outside production) for the whole file, when Chromium is there; the
 * fakes' recordings are cleared before each test.
 */
export function useWebBillingServer(providers: ProviderName[], options: TestServerOptions = {}): WebBillingServer {
  const ctx = {} as WebBillingServer;
  beforeAll(async () => {
    if (!chromiumAvailable) return;
    ctx.fakes = await startProviderFakes();
    ctx.tossSdk = await startFakeTossBrowserSdk(ctx.fakes.toss);
    ctx.server = await startWebServer({ ...options, env: { ...billingEnv(ctx.fakes, providers), TOSS_SDK_URL: ctx.tossSdk.sdkUrl, ...options.env } });
  });
  afterAll(async () => {
    await ctx.server?.close();
    await Promise.all([ctx.fakes?.close(), ctx.tossSdk?.close()]);
  });
  beforeEach(() => {
    ctx.fakes?.reset();
    ctx.tossSdk?.reset();
  });
  return ctx;
}

export interface CheckoutChoice {
  tier: 'PRO' | 'TEAM';
  provider: 'STRIPE' | 'LEMON_SQUEEZY' | 'TOSS' | 'DEMO';
  email?: string;
  /** Typed into "I already have an API key". */
  apiKey?: string;
}

/** What a buyer does on the landing page at `url`: Subscribe, email (or key), provider, submit. */
export async function submitCheckout(page: Page, url: string, choice: CheckoutChoice): Promise<void> {
  await page.goto(url);
  await page.getByTestId(`subscribe-${choice.tier}`).click();
  if (choice.email !== undefined) await page.getByTestId('checkout-email').fill(choice.email);
  if (choice.apiKey !== undefined) {
    await page.getByText('I already have an API key').click();
    await page.getByTestId('checkout-api-key').fill(choice.apiKey);
  }
  await page.getByTestId(`checkout-provider-${choice.provider}`).click();
  await page.getByTestId('checkout-submit').click();
}
