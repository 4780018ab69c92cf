import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { RecallMemoriesDocument, StoreMemoriesDocument, StoreMemoryDocument } from '../../sdk/index.js';
import { LocalEmbeddings } from '../../src/embeddings/local.js';
import { Tier } from '../../src/entities/enums.js';
import { registerUserWithTier, type TestUser } from '../support/accounts.js';
import { useTestServer } from '../support/server.js';
import { PEOPLE_FACTS } from './people-fixture.js';

/**
 * What a new user sees, on a server with no configuration of recall at all (EMBEDDINGS unset: the
 * built-in model, no network): the README's and the landing page's examples, and questions that
 * share nothing but a name with the fact that answers them.
 */

const ctx = useTestServer({ env: { EMBEDDINGS: undefined } });
beforeAll(async () => {
  expect(ctx.server.config.embeddingsMode).toBe('local');
  await (ctx.server.rt.semantic.model as LocalEmbeddings).whenReady();
});

const newUser = () => registerUserWithTier(ctx.server, Tier.PRO);
const recall = async (user: TestUser, query: string, agent?: string) =>
  (await user.client.request(RecallMemoriesDocument, { input: { query, agent, limit: 5 } })).recallMemories;
/** The worker embeds in the background; the tests ask once it is done, as a user would a moment later. */
const embedded = () => ctx.server.rt.embeddingWorker.drain();

describe('recall by meaning with the built-in model', () => {
  it("answers the issue's questions: the email fact first among four facts about Dana, the language, Caroline's research", async () => {
    const user = await newUser();
    await user.client.request(StoreMemoriesDocument, {
      inputs: [
        { content: 'Dana prefers to be contacted by email, not phone.' },
        { content: 'Dana is allergic to peanuts.' },
        { content: 'Dana lives in Lisbon with her two cats.' },
        { content: 'Dana started a new job as a data analyst in March.' },
        { content: "The user's favourite programming language is Rust." },
        { content: 'Caroline researched adoption agencies last week.' },
      ],
    });
    await embedded();
    expect((await recall(user, 'How should I contact Dana?'))[0]!.memory.content).toBe('Dana prefers to be contacted by email, not phone.');
    expect((await recall(user, 'What language does the user like?'))[0]!.memory.content).toBe("The user's favourite programming language is Rust.");
    expect((await recall(user, 'What did Caroline research?'))[0]!.memory.content).toBe('Caroline researched adoption agencies last week.');
  });

  it("makes the landing page's example true: 'contact Dana' recalls 'Dana prefers email over phone' with the score it shows", async () => {
    const page = await readFile(new URL('../../public/index.html', import.meta.url), 'utf8');
    const shown = /score: ([0-9.]+) \}\]/.exec(page)?.[1];
    expect(shown).toBeDefined();
    const user = await newUser();
    await user.client.request(StoreMemoryDocument, { input: { agent: 'support-bot', importance: 0.8, content: 'Dana prefers email over phone' } });
    await embedded();
    const hits = await recall(user, 'contact Dana', 'support-bot');
    expect(hits.map((h) => h.memory.content)).toEqual(['Dana prefers email over phone']);
    expect(hits[0]!.score.toFixed(2)).toBe(shown);
    expect(hits[0]!.explanation.semantic).toBeGreaterThan(0);
  });

  it(`ranks the right fact first for at least 85% of ${PEOPLE_FACTS.length} questions that share only a name with it (four facts per person)`, async () => {
    // The fixture's promise: apart from the name, no question shares a word (or a stem) with its fact.
    for (const { person, fact, question } of PEOPLE_FACTS) {
      const [row] = await ctx.server.sql<{ shared: string[]; name: string[] }>(
        `select array(select lexeme from unnest(to_tsvector('english', ?)) intersect select lexeme from unnest(to_tsvector('english', ?))) as shared,
                tsvector_to_array(to_tsvector('english', ?)) as name`,
        [fact, question, person],
      );
      expect(row!.shared, question).toEqual(row!.name);
    }
    const user = await newUser();
    await user.client.request(StoreMemoriesDocument, { inputs: PEOPLE_FACTS.map(({ fact }) => ({ content: fact })) });
    await embedded();
    const misses: string[] = [];
    for (const { fact, question } of PEOPLE_FACTS) {
      const [first] = await recall(user, question);
      if (first?.memory.content !== fact) misses.push(`${question} → ${first?.memory.content ?? 'nothing'}`);
    }
    const right = PEOPLE_FACTS.length - misses.length;
    console.log(`recall by meaning: ${right} of ${PEOPLE_FACTS.length} first${misses.length ? `; missed:\n  ${misses.join('\n  ')}` : ''}`);
    expect(right / PEOPLE_FACTS.length).toBeGreaterThanOrEqual(0.85);
  });
});
