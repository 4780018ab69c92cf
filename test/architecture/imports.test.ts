import { fileURLToPath } from 'node:url';
import madge from 'madge';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The import rules of docs/architecture.md, checked on every run so they stay true: adapters →
 * services → providers / db → entities, and no cycles. Type-only imports count too: a type import
 * of the composition root is still a service that knows how the server is put together.
 */
const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** Adapters and the composition: nothing below them may import these. */
const ADAPTERS = [/^graphql\//, /^http\//, /^rest-webhooks\//, /^mcp\//, /^jobs\//, /^runtime\.ts$/, /^app\.ts$/, /^main\.ts$/];
const SERVICES = [/^services\//];
const LOWER = [/^providers\//, /^db\//, /^entities\//, /^cache\//, /^embeddings\//];

/** Each layer, and what it must not import. */
const RULES: { layer: RegExp[]; name: string; mayNotImport: RegExp[] }[] = [
  { name: 'services', layer: SERVICES, mayNotImport: ADAPTERS },
  { name: 'providers, db, entities, cache, embeddings', layer: LOWER, mayNotImport: [...ADAPTERS, ...SERVICES] },
  { name: 'entities', layer: [/^entities\//], mayNotImport: [/^providers\//, /^db\//, /^cache\//, /^embeddings\//] },
];

let graph: Record<string, string[]>;
let circular: string[][];

beforeAll(async () => {
  const result = await madge(SRC, { fileExtensions: ['ts'], tsConfig: fileURLToPath(new URL('../../tsconfig.json', import.meta.url)) });
  graph = result.obj();
  circular = result.circular();
}, 60_000);

describe('imports under src/', () => {
  it('reads the whole source tree', () => {
    expect(Object.keys(graph)).toEqual(expect.arrayContaining(['main.ts', 'runtime.ts', 'services/memories/recall.ts', 'graphql/schema/build.ts']));
  });

  it('form no cycle', () => {
    expect(circular).toEqual([]);
  });

  for (const rule of RULES) {
    it(`keep ${rule.name} from importing the layers above`, () => {
      const upward = Object.entries(graph).flatMap(([from, imports]) =>
        rule.layer.some((l) => l.test(from)) ? imports.filter((to) => rule.mayNotImport.some((r) => r.test(to))).map((to) => `${from} → ${to}`) : [],
      );
      expect(upward).toEqual([]);
    });
  }
});
