import { sha256Base64Url } from '../crypto.js';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Runtime } from '../runtime.js';
import { escapeHtml } from './page-layout.js';

/**
 * The landing page and its static files from public/ (docs/development.md): `/`, the stylesheet, the icon and
 * the browser bundles under /assets (built from web/ by `npm run build:web`, committed; the list of
 * files is read at start, so the build's shared chunk needs no route of its own). They are
 * read once at start and served from memory with an ETag; the server holds no page logic.
 */

/** public/ next to src/ (tsx runs src/http) or next to dist/ (node runs dist/src/http). */
function publicDir(): string {
  for (const candidate of ['../../public/', '../../../public/']) {
    const dir = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(`${dir}index.html`)) return dir;
  }
  throw new Error('public/index.html not found next to the server code');
}

interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

function staticFile(body: Buffer, name: string): StaticFile {
  const type = TYPES[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream';
  return { body, type, etag: `"${sha256Base64Url(body).slice(0, 27)}"` };
}

function send(request: FastifyRequest, reply: FastifyReply, file: StaticFile): FastifyReply {
  // Revalidated on every load (cheap with the ETag), so a deploy is seen at once.
  reply.header('content-type', file.type).header('etag', file.etag).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff');
  if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
  return reply.send(file.body);
}

/**
 * Scripts may come from this origin and from Toss (its SDK, when the buyer picks Toss). Only what
 * is known not to break the Toss SDK is restricted: it opens its own frames and styles.
 */
function landingCsp(tossSdkUrl: string): string {
  return [`script-src 'self' ${new URL(tossSdkUrl).origin} https://*.tosspayments.com`, "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"].join('; ');
}

export async function site(app: FastifyInstance, { rt }: { rt: Runtime }): Promise<void> {
  const dir = publicDir();
  const read = (name: string) => readFile(`${dir}${name}`);
  // The page learns the Toss SDK's address from a meta tag: the same HTML works with the real SDK
  // and with the tests' loopback fake.
  const indexHtml = (await read('index.html')).toString('utf8').replace('%TOSS_SDK_URL%', escapeHtml(rt.config.tossSdkUrl));
  const index = staticFile(Buffer.from(indexHtml), 'index.html');
  const files = new Map<string, StaticFile>();
  const assets = (await readdir(`${dir}assets`)).map((name) => `assets/${name}`);
  for (const name of ['styles.css', 'favicon.svg', ...assets]) files.set(`/${name}`, staticFile(await read(name), name));
  const csp = landingCsp(rt.config.tossSdkUrl);

  app.get('/', async (request, reply) => {
    reply.header('content-security-policy', csp).header('referrer-policy', 'no-referrer').header('x-frame-options', 'DENY');
    return send(request, reply, index);
  });
  for (const [path, file] of files) app.get(path, async (request, reply) => send(request, reply, file));
}
