import { beforeAll, describe, expect, it } from 'vitest';
import { RecallMemoriesDocument, StoreMemoriesDocument, type RecallInput } from '../../sdk/index.js';
import { Tier } from '../../src/entities/enums.js';
import { useUser } from '../support/accounts.js';
import { useTestServer } from '../support/server.js';
import { AGENTS, COMMON, recallFixture, TAGS, TOPICS, wordsOf, type FixtureMemory } from './recall-fixture.js';

const { memories, queries } = recallFixture();
const ctx = useTestServer();
const user = useUser(ctx, Tier.TEAM);
beforeAll(async () => {
  for (let start = 0; start < memories.length; start += 100) {
    await user.client.request(StoreMemoriesDocument, { inputs: memories.slice(start, start + 100) });
  }
});

const recall = async (input: RecallInput) => (await user.client.request(RecallMemoriesDocument, { input })).recallMemories;

describe(`recall quality on a fixture of ${memories.length} memories`, () => {
  it('ranks the memories holding both rare query words above more important ones holding one, and any word matches', async () => {
    for (const { query, answer } of queries) {
      const hits = await recall({ query, limit: 5 });
      // The answer (importance 0.3) and the long distractor holding both words (importance 1), then the two holding one word each.
      expect(hits.slice(0, 2).map((h) => h.memory.content).sort(), query).toEqual([memories[answer]!.content, memories[answer + 1]!.content].sort());
      const held = hits.map((hit) => query.split(' ').filter((word) => wordsOf(hit.memory.content).has(word)).length);
      expect(held, query).toEqual([2, 2, 1, 1]);
    }
  });

  it('filters never leak, and nothing that passes them is lost to a limit applied before filtering', async () => {
    const matches = (m: FixtureMemory, word: string, input: RecallInput) =>
      wordsOf(m.content).has(word) &&
      (!input.agent || m.agent === input.agent) &&
      (input.tags ?? []).every((tag) => m.tags.includes(tag)) &&
      (!input.metadata || Object.entries(input.metadata).every(([k, v]) => m.metadata[k as 'topic'] === v)) &&
      (input.minImportance === undefined || input.minImportance === null || m.importance >= input.minImportance);

    let checked = 0;
    for (let i = 0; i < 40; i++) {
      const word = COMMON[(i * 7) % 60]!;
      const input: RecallInput = {
        query: word,
        limit: 50,
        agent: i % 3 === 0 ? AGENTS[i % AGENTS.length] : undefined,
        tags: i % 2 === 0 ? [TAGS[i % TAGS.length]!] : i % 5 === 1 ? [TAGS[0]!, TAGS[1]!] : undefined,
        metadata: i % 4 === 1 ? { topic: TOPICS[i % TOPICS.length] } : undefined,
        minImportance: i % 3 === 2 ? 0.5 : undefined,
      };
      const expected = memories.filter((m) => matches(m, word, input)).map((m) => m.content);
      const hits = (await recall(input)).map((h) => h.memory.content);
      for (const hit of hits) expect(expected, `${JSON.stringify(input)} returned "${hit}"`).toContain(hit);
      if (expected.length <= 50) expect([...hits].sort(), JSON.stringify(input)).toEqual([...expected].sort());
      else expect(hits).toHaveLength(50);
      checked += expected.length;
    }
    expect(checked).toBeGreaterThan(200); // the filtered queries really had matches to check
  });
});
