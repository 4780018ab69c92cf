/**
 * Bundles the pages' scripts (web/*.ts, with the SDK they import) into public/assets/*.js with
 * esbuild. `npm run build:web` writes them; the output is committed so `npm ci && npm start` and
 * the Docker image need no build step for the browser, and test/web/bundle.test.ts fails when the
 * committed bundles are stale.
 */

import { build, type BuildOptions, type OutputFile } from 'esbuild';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

const WEB_ENTRY_POINTS = { landing: 'web/landing.ts', billing: 'web/billing.ts' };

const webBuildOptions: BuildOptions = {
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

/**
 * Writes the bundles into an emptied public/assets: a shared chunk whose hash changed would
 * otherwise stay behind next to the new one (and be served, and fail the bundle test).
 */
async function writeWeb(): Promise<void> {
  const outputs = await buildWeb(false);
  const outdir = fileURLToPath(new URL(`../${webBuildOptions.outdir}/`, import.meta.url));
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  for (const file of outputs) await writeFile(file.path, file.contents);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await writeWeb();
  console.log(`browser bundles written to public/assets (${Object.keys(WEB_ENTRY_POINTS).join(', ')})`);
}
