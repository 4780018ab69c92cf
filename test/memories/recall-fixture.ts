/**
 * A deterministic recall fixture of 1,160 memories with known answers:
 * - 1,000 filler memories of common words, spread over three agents, tags, metadata and importance;
 * - 40 answers, each holding a unique pair of rare words side by side, at low importance (0.3);
 * - for each answer, a "scattered" distractor holding both rare words far apart and two "partial"
 *   distractors holding one of them, all at importance 1.
 * The query of answer i is its pair: the answer must rank first despite the distractors' importance.
 */

export interface FixtureMemory {
  content: string;
  agent: string;
  tags: string[];
  metadata: { topic: string; n: number };
  importance: number;
}

export const AGENTS = ['default', 'work', 'home'] as const;
export const TAGS = ['red', 'green', 'blue', 'amber', 'violet'] as const;
export const TOPICS = ['travel', 'health', 'family', 'finance'] as const;

export const COMMON = (
  'time year people way day man thing woman life child world school state family student group country problem hand ' +
  'part place case week company system program question work government number night point home water room mother ' +
  'area money story fact month lot right study book eye job word business issue side kind head house service friend ' +
  'father power hour game line end member law car city community name president team minute idea kid body information ' +
  'back parent face others level office door health person art war history party result change morning reason research ' +
  'girl guy moment air teacher force education foot boy age policy music market sense nation plan college interest ' +
  'death experience effect class control care field development role effort rate heart drug show leader light voice ' +
  'wife police mind price report decision son view relationship town road arm difference value building action model'
).split(' ');

const RARE_A = (
  'quokka zeppelin marimba obsidian tarragon axolotl bergamot calliope dirigible ephemeris fennec gossamer halyard ' +
  'isthmus jacaranda kumquat lorikeet mandolin narwhal ocelot pangolin quasar rhubarb sassafras tamarind ukulele ' +
  'vermilion wolfram xylophone yarrow zircon astrolabe bandicoot cardamom damask echidna filigree gingko hornbill'
).split(' ');

const RARE_B = (
  'lantern harbor compass orchard meadow lagoon glacier canyon prairie delta savanna tundra estuary fjord plateau ' +
  'archipelago atoll bayou butte caldera cove dune gorge grotto inlet knoll marsh mesa moor oasis peninsula reef ' +
  'ridge shoal steppe strait summit swamp thicket valley'
).split(' ');

export const ANSWER_COUNT = 40;

/** mulberry32: small, seeded, good enough to spread a fixture. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function recallFixture(seed = 42): { memories: FixtureMemory[]; queries: { query: string; answer: number }[] } {
  const next = random(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
  const words = (min: number, max: number) => Array.from({ length: min + Math.floor(next() * (max - min + 1)) }, () => pick(COMMON)).join(' ');
  const attributes = (i: number) => ({
    agent: pick(AGENTS),
    tags: TAGS.filter(() => next() < 0.3),
    metadata: { topic: pick(TOPICS), n: i % 7 },
  });

  const memories: FixtureMemory[] = [];
  const seen = new Set<string>();
  const add = (content: string, importance: number) => {
    if (seen.has(content)) return;
    seen.add(content);
    memories.push({ content, importance, ...attributes(memories.length) });
  };
  while (memories.length < 1_000) add(words(8, 16), Math.round(next() * 100) / 100);

  const queries: { query: string; answer: number }[] = [];
  for (let i = 0; i < ANSWER_COUNT; i++) {
    const [a, b] = [RARE_A[i]!, RARE_B[i]!];
    queries.push({ query: i % 2 ? `${a} ${b}` : `${b} ${a}`, answer: memories.length });
    add(`${words(3, 6)} ${a} ${b} ${words(3, 6)}`, 0.3);
    add(`${a} ${words(20, 24)} ${b}`, 1);
    add(`${words(4, 8)} ${a} ${words(4, 8)}`, 1);
    add(`${words(4, 8)} ${b} ${words(4, 8)}`, 1);
  }
  return { memories, queries };
}

/** The words of these ASCII fixtures (none is an English stop word, no two share a stem). */
export const wordsOf = (text: string) => new Set(text.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean));
