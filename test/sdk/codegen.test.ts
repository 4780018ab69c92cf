import { readFile } from 'node:fs/promises';
import { createContext, generate } from '@graphql-codegen/cli';
import { describe, expect, it } from 'vitest';

/**
 * `npm run codegen` on a clean checkout changes nothing: the committed sdk/generated files are
 * exactly what codegen.yml produces from the committed schema.graphql and sdk/operations. (CI also
 * runs codegen and `git diff --exit-code`; this catches it in `npm test` too.)
 */
describe('generated SDK', () => {
  it('is current with schema.graphql and sdk/operations', async () => {
    const context = await createContext({ config: 'codegen.yml' } as Parameters<typeof createContext>[0]);
    const outputs = await generate(context, false);
    expect(outputs.length).toBeGreaterThan(0);
    for (const output of outputs) {
      const committed = await readFile(output.filename, 'utf8');
      expect(committed, `${output.filename} is stale: run npm run codegen and commit`).toBe(output.content);
    }
  });
});
