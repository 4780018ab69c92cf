import { describe, expect, it } from 'vitest';
import { StoreMemoriesDocument } from '../../sdk/index.js';
import { Tier } from '../../src/entities/enums.js';
import { candidateSources, LEXICAL_POSTINGS_BUDGET, queryWords, queryWordsQuery, recallQuery } from '../../src/services/memories/recall.js';
import { registerUserWithTier } from '../support/accounts.js';
import { seedMemories } from '../support/memories.js';
import { useTestServer } from '../support/server.js';

/**
 * Lexical candidates must come from the per-agent postings of the agent-terms index (its
 * migration): if the recall's predicate stopped matching the index expression, every recall would
 * read all of a user's memories, which only shows at scale. A few thousand memories make the
 * index the planner's choice for a rare word.
 */

const ctx = useTestServer();

describe('lexical candidates', () => {
  it('are read from the agent-terms index, with the agents searched as the keys', async () => {
    const user = await registerUserWithTier(ctx.server, Tier.PRO);
    await user.client.request(StoreMemoriesDocument, {
      inputs: [{ content: 'Dana prefers email over phone calls' }, { content: 'Dana lives in Lisbon', agent: 'travel' }],
    });
    await seedMemories(ctx.server.sql, user.id, 3_000);
    await ctx.server.sql('analyze memories');
    for (const agent of [null, 'travel']) {
      const request = { userId: user.id, query: 'How should I email Dana?', agent, tags: [], metadata: null, minImportance: null, occurredAfter: null, occurredBefore: null, limit: 10, embedding: null };
      const plan = await ctx.server.rt.forkEm().transactional(async (tx) => {
        const words = queryWordsQuery(request);
        const { sql, params } = recallQuery(request, queryWords(await tx.execute(words.sql, words.params)));
        return (await tx.execute<{ 'QUERY PLAN': string }[]>(`explain ${sql}`, params)).map((row) => row['QUERY PLAN']).join('\n');
      });
      expect(plan).toMatch(/Bitmap Index Scan on memories_agent_terms_idx/);
      expect(plan).toMatch(/Index Cond: \(memory_agent_terms\(agent_id, search\) && /);
    }
  });
});

describe('candidate source words', () => {
  const word = (lexeme: string, docs: number) => ({ lexeme, docs, idf: Math.log(1 + 500_000 / docs) });

  it('are every query word while their postings fit the budget: an agent of ordinary size is never affected', () => {
    const words = [word('dana', 40), word('contact', 900), word('email', 300)];
    expect(candidateSources(words)).toEqual(new Set(['dana', 'contact', 'email']));
  });

  it('are the rarest words within the budget: a word most memories hold brings none of its own', () => {
    // The bench's "when was the last time we talked about the hotel and the beach": `time` is in 368,654 memories.
    const words = [word('time', 368_654), word('hotel', 10_765), word('beach', 10_906), word('week', 40_497)];
    expect(candidateSources(words)).toEqual(new Set(['hotel', 'beach']));
    expect(10_765 + 10_906).toBeLessThanOrEqual(LEXICAL_POSTINGS_BUDGET);
  });

  it('always include the rarest word, however common, so a query of common words still matches by words', () => {
    expect(candidateSources([word('time', 368_654), word('year', 120_000)])).toEqual(new Set(['year']));
  });
});
