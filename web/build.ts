/**
 * Bundles the pages' scripts (web/*.ts, with the SDK they import) into public/assets/*.js with
 * esbuild. `npm run build:web` writes them; the output is committed so `npm ci && npm start` and
 * the Docker image need no build step for the browser, and test/web/bundle.test.ts fails when the
 * committed bundles are stale.
 */

import { build, type BuildOptions, type OutputFile } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

export const WEB_ENTRY_POINTS = { landing: 'web/landing.ts', billing: 'web/billing.ts' };

export const webBuildOptions: BuildOptions = {
  absWorkingDir: root,
  entryPoints: WEB_ENTRY_POINTS,
  outdir: 'public/assets',
  bundle: true,
  format: 'esm',
  // The SDK and graphql's printer go into one shared chunk instead of into every page's script.
  splitting: true,
  chunkNames: 'chunk-[hash]',
  platform: 'browser',
  // Chromium, Firefox and Safari of the last few years (dialog, optional chaining, ??=).
  target: ['chrome100', 'firefox100', 'safari15.4'],
  minify: true,
  legalComments: 'none',
  charset: 'utf8',
  // The SDK imports `print` from graphql; graphql's development checks read process.env.NODE_ENV.
  define: { 'process.env.NODE_ENV': '"production"', 'globalThis.process': 'undefined' },
  logLevel: 'warning',
};

export async function buildWeb(write: boolean): Promise<OutputFile[]> {
  const result = await build({ ...webBuildOptions, write });
  return result.outputFiles ?? [];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildWeb(true);
  console.log(`browser bundles written to public/assets (${Object.keys(WEB_ENTRY_POINTS).join(', ')})`);
}
