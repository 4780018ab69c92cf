import { describe, expect, it } from 'vitest';
import { useTestServer } from '../support/server.js';

/** The pages over plain HTTP: what is served where, with which headers (the browser tests cover behaviour). */

const BILLING_PAGES = ['/billing/success', '/billing/cancel', '/billing/toss/success', '/billing/toss/fail', '/billing/manage'];
const ctx = useTestServer({ env: { TOSS_SDK_URL: 'https://sdk.example.test/v2/standard' } });
const selfHosted = useTestServer({ env: { STELLAR_BILLING_ENABLED: 'false', STELLAR_API_KEY: 'self-hosted-owner-key-0001' } });

describe('landing page and static files', () => {
  it('serves / with the Toss SDK address from TOSS_SDK_URL, a CSP allowing only this origin and Toss to run scripts, and no framing', async () => {
    const response = await fetch(ctx.server.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await response.text();
    expect(html).toContain('<meta name="stellar-toss-sdk" content="https://sdk.example.test/v2/standard">');
    expect(html).toContain('<script type="module" src="/assets/landing.js">');
    expect(html).not.toContain('%TOSS_SDK_URL%');
    const csp = response.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self' https://sdk.example.test https://*.tosspayments.com");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(response.headers.get('x-frame-options')).toBe('DENY');
  });

  it('serves the stylesheet and the scripts with their types and an ETag, and answers 304 to a matching If-None-Match', async () => {
    for (const [path, type] of [
      ['/styles.css', 'text/css; charset=utf-8'],
      ['/assets/landing.js', 'text/javascript; charset=utf-8'],
      ['/assets/billing.js', 'text/javascript; charset=utf-8'],
      ['/favicon.svg', 'image/svg+xml'],
    ]) {
      const response = await fetch(`${ctx.server.url}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type')).toBe(type);
      const etag = response.headers.get('etag')!;
      expect(etag).toMatch(/^"[\w-]+"$/);
      expect((await fetch(`${ctx.server.url}${path}`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    }
    expect((await fetch(`${ctx.server.url}/assets/../src/config.ts`)).status).toBe(404);
    expect((await fetch(`${ctx.server.url}/assets/nothing.js`)).status).toBe(404);
  });

  it('serves the billing pages as real pages that are never cached or framed', async () => {
    for (const path of BILLING_PAGES) {
      const response = await fetch(`${ctx.server.url}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
      const html = await response.text();
      expect(html).toContain('<link rel="stylesheet" href="/styles.css">');
      expect(html).toContain('<script type="module" src="/assets/billing.js">');
    }
    expect(await (await fetch(`${ctx.server.url}/billing/success`)).text()).toContain('data-testid="current-tier"');
  });

  it('self-hosted mode keeps the landing page but has no billing pages', async () => {
    expect((await fetch(selfHosted.server.url)).status).toBe(200);
    for (const path of BILLING_PAGES) expect((await fetch(`${selfHosted.server.url}${path}`)).status, path).toBe(404);
  });
});
