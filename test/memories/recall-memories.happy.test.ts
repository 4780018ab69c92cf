import { describe, expect, it } from 'vitest';
import { MemoryDocument, RecallMemoriesDocument, StoreMemoriesDocument, StoreMemoryDocument, UsageDocument, type RecallInput } from '../../sdk/index.js';
import { Tier } from '../../src/entities/enums.js';
import { registerUserWithTier, type TestUser } from '../support/accounts.js';
import { useTestServer } from '../support/server.js';

const ctx = useTestServer();

const proUser = () => registerUserWithTier(ctx.server, Tier.PRO);

const recall = async (user: TestUser, input: RecallInput) => (await user.client.request(RecallMemoriesDocument, { input })).recallMemories;
const contents = async (user: TestUser, input: RecallInput) => (await recall(user, input)).map((hit) => hit.memory.content);

describe('recallMemories', () => {
  it('returns only memories that match the query, with relevance and score between 0 and 1', async () => {
    const user = await proUser();
    await user.client.request(StoreMemoriesDocument, {
      inputs: [{ content: 'The user drinks oat milk in coffee' }, { content: 'Coffee beans come from Ethiopia' }, { content: 'Likes hiking on weekends' }],
    });
    const hits = await recall(user, { query: 'oat milk' });
    expect(hits.map((h) => h.memory.content)).toEqual(['The user drinks oat milk in coffee']);
    expect(hits[0]!.relevance).toBeGreaterThan(0);
    expect(hits[0]!.relevance).toBeLessThanOrEqual(1);
    expect(hits[0]!.score).toBeGreaterThan(0);
    expect(hits[0]!.score).toBeLessThanOrEqual(1);
    expect(await contents(user, { query: 'coffee' })).toHaveLength(2);
    expect(await recall(user, { query: 'submarine' })).toEqual([]);
    expect(await recall(user, { query: '!!! ???' })).toEqual([]);
  });

  it('bumps recallCount and lastRecalledAt of the returned memories only', async () => {
    const user = await proUser();
    const { storeMemories } = await user.client.request(StoreMemoriesDocument, { inputs: [{ content: 'red bicycle in the garage' }, { content: 'blue car outside' }] });
    const [bike, car] = storeMemories.map((s) => s.memory);
    const [hit] = await recall(user, { query: 'bicycle' });
    expect(hit!.memory).toMatchObject({ id: bike!.id, recallCount: 1 });
    expect(hit!.memory.lastRecalledAt).not.toBeNull();
    await recall(user, { query: 'bicycle' });
    expect((await user.client.request(MemoryDocument, { id: bike!.id })).memory).toMatchObject({ recallCount: 2 });
    expect((await user.client.request(MemoryDocument, { id: car!.id })).memory).toMatchObject({ recallCount: 0, lastRecalledAt: null });
  });

  it('bumps without writing the memory row, so a memory recalled over and over adds no row versions (nor index entries) to memories', async () => {
    const user = await proUser();
    const { storeMemory } = await user.client.request(StoreMemoryDocument, { input: { content: 'Dana prefers email over phone' } });
    const version = async () => (await ctx.server.sql<{ v: string }>(`select xmin::text || ctid::text as v from memories where id = ?`, [storeMemory.memory.id]))[0]!.v;
    const before = await version();
    for (let i = 1; i <= 3; i++) expect((await recall(user, { query: 'email Dana' }))[0]!.memory).toMatchObject({ id: storeMemory.memory.id, recallCount: i });
    expect(await version()).toBe(before);
    expect((await user.client.request(MemoryDocument, { id: storeMemory.memory.id })).memory!.recallCount).toBe(3);
    // Storing it again answers the existing memory, counters included.
    const again = (await user.client.request(StoreMemoryDocument, { input: { content: 'Dana prefers email over phone' } })).storeMemory;
    expect(again).toMatchObject({ deduped: true, memory: { id: storeMemory.memory.id, recallCount: 3 } });
    expect(again.memory.lastRecalledAt).not.toBeNull();
  });

  it('matches non-English text: Korean, Russian, German, Greek, accented Latin', async () => {
    const user = await proUser();
    await user.client.request(StoreMemoriesDocument, {
      inputs: [
        { content: '다음 주 회의는 서울에서 열립니다' },
        { content: 'Встреча перенесена в Москве на пятницу' },
        { content: 'Das Fußballspiel ist am Sonntag in München' },
        { content: 'Το ραντεβού είναι στην Αθήνα' },
        { content: 'Le café de la gare est fermé' },
      ],
    });
    expect(await contents(user, { query: '서울에서' })).toEqual(['다음 주 회의는 서울에서 열립니다']);
    expect(await contents(user, { query: 'москве' })).toEqual(['Встреча перенесена в Москве на пятницу']);
    expect(await contents(user, { query: 'München Fußballspiel' })).toEqual(['Das Fußballspiel ist am Sonntag in München']);
    expect(await contents(user, { query: 'αθήνα' })).toEqual(['Το ραντεβού είναι στην Αθήνα']);
    expect(await contents(user, { query: 'café fermé' })).toEqual(['Le café de la gare est fermé']);
  });

  it('answers natural-language questions: any significant word matches, English words match their other forms, stop words match nothing', async () => {
    const user = await proUser();
    await user.client.request(StoreMemoriesDocument, {
      inputs: [
        { content: 'Dana prefers to be contacted by email, not phone.' },
        { content: "The user's favourite programming language is Rust." },
        { content: 'Caroline researched adoption agencies last week.' },
        { content: 'The weather was nice.' },
      ],
    });
    expect(await contents(user, { query: 'How should I contact Dana?' })).toEqual(['Dana prefers to be contacted by email, not phone.']);
    expect(await contents(user, { query: 'What languages does the user like?' })).toEqual(["The user's favourite programming language is Rust."]);
    expect(await contents(user, { query: 'What did Caroline research?' })).toEqual(['Caroline researched adoption agencies last week.']);
    expect(await contents(user, { query: 'Which agency did they adopt from?' })).toEqual(['Caroline researched adoption agencies last week.']);
    expect(await recall(user, { query: 'What is it and who was there?' })).toEqual([]);
  });

  it('ranks by BM25: rarer words weigh more, repeats saturate, and a short memory beats a long one with the same words', async () => {
    const user = await proUser();
    const filler = Array.from({ length: 30 }, (_, i) => ({ content: `team meeting number ${i} about the roadmap` }));
    await user.client.request(StoreMemoriesDocument, {
      inputs: [
        ...filler,
        { content: 'Budapest trip in spring' },
        { content: 'meeting meeting meeting meeting meeting meeting' },
        { content: 'Budapest office' },
        { content: 'notes from the long quarterly planning session with many people, lots of slides, and the Budapest office mentioned once' },
      ],
    });
    const hits = await recall(user, { query: 'When is the meeting in Budapest?', limit: 50 });
    const order = hits.map((h) => h.memory.content);
    // Every memory holding "Budapest" (in 4 of 34) comes before those holding only "meeting" (in 31).
    expect(order.slice(0, 3)).toEqual(['Budapest office', 'Budapest trip in spring', expect.stringContaining('quarterly planning')]);
    expect(order).toHaveLength(34);
    const lexical = Object.fromEntries(hits.map((h) => [h.memory.content, h.explanation.lexical]));
    // Six repeats of a common word score less than one rare word, but more than one common word.
    expect(lexical['meeting meeting meeting meeting meeting meeting']!).toBeLessThan(lexical['Budapest office']!);
    expect(lexical['meeting meeting meeting meeting meeting meeting']!).toBeGreaterThan(lexical['team meeting number 0 about the roadmap']!);
    for (const hit of hits) {
      expect(hit.explanation.lexical).toBeGreaterThan(0);
      expect(hit.explanation.lexical).toBeLessThan(1);
      expect(hit.explanation.semantic).toBeNull();
    }
  });

  it('applies agent, tags (all of them), metadata containment and minImportance inside the query', async () => {
    const user = await proUser();
    await user.client.request(StoreMemoriesDocument, {
      inputs: [
        { content: 'project alpha kickoff', agent: 'work', tags: ['q1', 'planning'], metadata: { team: 'core', level: 2 }, importance: 0.9 },
        { content: 'project alpha budget', agent: 'work', tags: ['q1'], metadata: { team: 'core' }, importance: 0.4 },
        { content: 'project alpha party', agent: 'home', tags: ['q1', 'planning'], metadata: { team: 'core', level: 2 }, importance: 0.9 },
        { content: 'project alpha review', tags: ['planning'], metadata: { team: 'infra', level: 2 }, importance: 0.7 },
      ],
    });
    const query = 'project alpha';
    expect((await contents(user, { query })).length).toBe(4);
    expect((await contents(user, { query, agent: 'work' })).sort()).toEqual(['project alpha budget', 'project alpha kickoff']);
    expect((await contents(user, { query, tags: ['q1', 'planning'] })).sort()).toEqual(['project alpha kickoff', 'project alpha party']);
    expect((await contents(user, { query, metadata: { team: 'core', level: 2 } })).sort()).toEqual(['project alpha kickoff', 'project alpha party']);
    expect((await contents(user, { query, minImportance: 0.7 })).sort()).toEqual(['project alpha kickoff', 'project alpha party', 'project alpha review']);
    expect(await contents(user, { query, agent: 'work', tags: ['planning'], metadata: { team: 'core' }, minImportance: 0.5 })).toEqual(['project alpha kickoff']);
    expect(await contents(user, { query, agent: 'nobody' })).toEqual([]);
  });

  it('ranks equally relevant matches by importance', async () => {
    const user = await proUser();
    await user.client.request(StoreMemoriesDocument, {
      inputs: [
        { content: 'dentist appointment on Tuesday', importance: 0.2 },
        { content: 'dentist appointment on Friday', importance: 0.9 },
      ],
    });
    expect(await contents(user, { query: 'dentist appointment' })).toEqual(['dentist appointment on Friday', 'dentist appointment on Tuesday']);
  });

  it('returns at most `limit` hits (10 by default, 50 at most), best first', async () => {
    const user = await proUser();
    const inputs = Array.from({ length: 60 }, (_, i) => ({ content: `note ${i} about the garden`, importance: i / 100 }));
    await user.client.request(StoreMemoriesDocument, { inputs });
    expect(await recall(user, { query: 'garden' })).toHaveLength(10);
    const all = await recall(user, { query: 'garden', limit: 50 });
    expect(all).toHaveLength(50);
    const scores = all.map((h) => h.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(all[0]!.memory.content).toBe('note 59 about the garden');
  });

  it('filters on occurredAt inside the query: occurredAfter inclusive, occurredBefore exclusive', async () => {
    const user = await proUser();
    const at = (day: number) => `2023-05-${String(day).padStart(2, '0')}T12:00:00.000Z`;
    await user.client.request(StoreMemoriesDocument, {
      inputs: [1, 8, 15, 22].map((day) => ({ content: `picnic on day ${day}`, occurredAt: at(day) })),
    });
    const days = async (input: Omit<RecallInput, 'query'>) => (await contents(user, { query: 'picnic', ...input })).sort();
    expect(await days({})).toHaveLength(4);
    expect(await days({ occurredAfter: at(8) })).toEqual(['picnic on day 15', 'picnic on day 22', 'picnic on day 8']);
    expect(await days({ occurredBefore: at(15) })).toEqual(['picnic on day 1', 'picnic on day 8']);
    expect(await days({ occurredAfter: at(8), occurredBefore: at(22) })).toEqual(['picnic on day 15', 'picnic on day 8']);
    expect(await days({ occurredAfter: at(23) })).toEqual([]);
  });

  it('explains each signal: lexical, importance, recency from when it happened or was last recalled, frequency before this recall', async () => {
    const user = await proUser();
    const now = Date.now();
    await user.client.request(StoreMemoriesDocument, {
      inputs: [
        { content: 'sailing lesson today', importance: 0.8 },
        { content: 'sailing lesson a month ago', importance: 0.2, occurredAt: new Date(now - 30 * 86_400_000).toISOString() },
      ],
    });
    const first = await recall(user, { query: 'sailing lessons' });
    const explained = Object.fromEntries(first.map((h) => [h.memory.content, h.explanation]));
    expect(explained['sailing lesson today']).toMatchObject({ semantic: null, importance: 0.8, frequency: 0 });
    expect(explained['sailing lesson today']!.recency).toBeCloseTo(1, 3);
    expect(explained['sailing lesson a month ago']).toMatchObject({ importance: 0.2, frequency: 0 });
    expect(explained['sailing lesson a month ago']!.recency).toBeCloseTo(0.5, 3); // half-life 30 days
    expect(first.map((h) => h.memory.content)).toEqual(['sailing lesson today', 'sailing lesson a month ago']);
    for (const hit of first) {
      expect(hit.explanation.lexical).toBeGreaterThan(0);
      expect(hit.relevance).toBeCloseTo(hit.explanation.lexical, 6); // no vector: relevance is the lexical match
    }
    // Recalled just now: recency counts from the recall; frequency from the recall before this one.
    const second = await recall(user, { query: 'sailing lessons' });
    const again = second.find((h) => h.memory.content === 'sailing lesson a month ago')!;
    expect(again.explanation.recency).toBeCloseTo(1, 3);
    expect(again.explanation.frequency).toBeCloseTo(1 / 6, 6);
    expect(again.memory.recallCount).toBe(2);
  });

  it('never returns expired memories', async () => {
    const user = await proUser();
    const { storeMemory } = await user.client.request(StoreMemoryDocument, { input: { content: 'temporary door code 1234', expiresAt: new Date(Date.now() + 60_000).toISOString() } });
    expect(await contents(user, { query: 'door code' })).toHaveLength(1);
    await ctx.server.sql(`update memories set expires_at = now() - interval '1 second' where id = ?`, [storeMemory.memory.id]);
    expect(await contents(user, { query: 'door code' })).toEqual([]);
  });

  it('meters recalls in usage', async () => {
    const user = await proUser();
    await recall(user, { query: 'anything' });
    await recall(user, { query: 'anything' });
    await ctx.server.rt.scheduler.runNow('flush-usage');
    expect((await user.client.request(UsageDocument)).usage.recallsThisPeriod).toBe(2);
  });
});
