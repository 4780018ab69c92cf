import { readdir, readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildWeb } from '../../web/build.js';

/** The committed browser bundles are what `npm run build:web` makes from web/ and sdk/ now. */
describe('browser bundles in public/assets', () => {
  it('are current with web/ and the SDK (run npm run build:web and commit when this fails)', async () => {
    const outputs = await buildWeb(false);
    expect(outputs.map((file) => basename(file.path)).sort()).toEqual((await readdir('public/assets')).sort());
    for (const file of outputs) {
      expect(await readFile(`public/assets/${basename(file.path)}`, 'utf8'), `public/assets/${basename(file.path)} is stale`).toBe(file.text);
    }
  });
});
