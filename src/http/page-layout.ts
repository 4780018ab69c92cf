/**
 * The frame of the server-rendered pages (billing results, demo checkout): the landing page's
 * header and stylesheet around a page body, so every page looks like the same product.
 */

export const escapeHtml = (value: string): string =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export interface PageOptions {
  title: string;
  /** `data-page` on <body>: tells the billing script which page it runs on. */
  pageId: string;
  /** Trusted HTML: callers escape every value they put in it. */
  body: string;
  /** A module script under /assets, e.g. billing.js. */
  script?: string;
}

export function renderPage({ title, pageId, body, script }: PageOptions): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escapeHtml(title)} · Stellar Memory</title>
  <link rel="icon" href="/favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="/styles.css">${script ? `\n  <script type="module" src="/assets/${escapeHtml(script)}"></script>` : ''}
</head>
<body data-page="${escapeHtml(pageId)}">
  <header class="site-header">
    <div class="container site-header__inner">
      <a class="brand" href="/" aria-label="Stellar Memory home"><span class="brand__mark" aria-hidden="true">✦</span> Stellar Memory</a>
      <nav aria-label="Main"><a href="/#pricing">Pricing</a><a href="/billing/manage">Manage</a></nav>
    </div>
  </header>
  <main id="main" class="container page">
    <section class="card result">
      <h1>${escapeHtml(title)}</h1>
${body}
    </section>
  </main>
</body>
</html>`;
}

/** Headers of every page: not cached (they may show a key once), not framed, no Referer leaves them. */
export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
} as const;
