import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import MiniSearch from 'minisearch';
import { stemmer } from 'stemmer';

/**
 * The LoCoMo development split (Maharana et al., ACL 2024) and its retrieval scoring, exactly as
 * ../shared/datasets/README.md describes it. The data is CC BY-NC: it is read at bench time from
 * ../shared/datasets/ (LOCOMO_PATH overrides), never copied into this repository.
 */

export const DEFAULT_LOCOMO_PATH = fileURLToPath(new URL('../../shared/datasets/locomo-dev.json', import.meta.url));

/** Categories scored (5, adversarial questions without an answer in the conversation, is left out). */
export const CATEGORIES = [1, 2, 3, 4] as const;
export const CATEGORY_NAMES: Record<number, string> = { 1: 'multi-hop', 2: 'temporal', 3: 'open-domain', 4: 'single-hop' };

export interface Turn {
  id: string;
  speaker: string;
  text: string;
  session: number;
  date: string;
  occurredAt: Date;
  /** What is stored: `<speaker>: <text>`. */
  content: string;
}

export interface Question {
  question: string;
  evidence: string[];
  category: number;
}

export interface Conversation {
  id: string;
  /** The agent the conversation is stored in. */
  agent: string;
  turns: Turn[];
  questions: Question[];
}

interface RawConversation {
  speakers: string[];
  sessions: { n: number; date: string; turns: { id: string; speaker: string; text: string }[] }[];
  qa: Question[];
}

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

/** "1:56 pm on 8 May, 2023" → 2023-05-08T13:56:00Z. */
export function parseSessionDate(text: string): Date {
  const match = /^(\d{1,2}):(\d{2})\s*(am|pm) on (\d{1,2}) (\w+),? (\d{4})$/i.exec(text.trim());
  if (!match) throw new Error(`unreadable LoCoMo session date: ${text}`);
  const [, h, min, half, day, month, year] = match;
  const monthIndex = MONTHS.indexOf(month!.toLowerCase());
  if (monthIndex < 0) throw new Error(`unknown month in ${text}`);
  const hour = (Number(h) % 12) + (half!.toLowerCase() === 'pm' ? 12 : 0);
  return new Date(Date.UTC(Number(year), monthIndex, Number(day), hour, Number(min)));
}

export async function loadLocomo(path = process.env.LOCOMO_PATH ?? DEFAULT_LOCOMO_PATH): Promise<Conversation[]> {
  const raw = JSON.parse(await readFile(path, 'utf8')) as Record<string, RawConversation>;
  return Object.entries(raw).map(([id, conversation]) => {
    const turns = conversation.sessions.flatMap((session) => {
      const occurredAt = parseSessionDate(session.date);
      return session.turns.map((turn) => ({ ...turn, session: session.n, date: session.date, occurredAt, content: `${turn.speaker}: ${turn.text}` }));
    });
    // A few evidence entries name no turn ("D", "D8:6; D9:17"): they are dropped, and a question
    // left without evidence is not scored (759 questions in categories 1–4, as the README counts).
    const ids = new Set(turns.map((turn) => turn.id));
    const questions = conversation.qa
      .filter((q) => (CATEGORIES as readonly number[]).includes(q.category))
      .map((q) => ({ ...q, evidence: q.evidence.filter((e) => ids.has(e)) }))
      .filter((q) => q.evidence.length > 0);
    return { id, agent: `locomo-${id}`, turns, questions };
  });
}

export interface Metrics {
  questions: number;
  evidenceRecall: number;
  hit: number;
  mrr: number;
}

export interface Scored {
  k: number;
  overall: Metrics;
  perCategory: Record<string, Metrics>;
}

/** One question's answer: the turn ids ranked best first (at least k of them when there are). */
export interface Answer {
  question: Question;
  ranked: string[];
}

const percent = (n: number) => Math.round(n * 1000) / 10;

function metricsOf(answers: Answer[], k: number): Metrics {
  let recall = 0;
  let hit = 0;
  let mrr = 0;
  for (const { question, ranked } of answers) {
    const top = ranked.slice(0, k);
    const found = question.evidence.filter((id) => top.includes(id)).length;
    recall += found / question.evidence.length;
    hit += found > 0 ? 1 : 0;
    const first = ranked.findIndex((id) => question.evidence.includes(id));
    mrr += first >= 0 && first < k ? 1 / (first + 1) : 0;
  }
  const n = answers.length;
  return { questions: n, evidenceRecall: percent(recall / n), hit: percent(hit / n), mrr: Math.round((mrr / n) * 1000) / 1000 };
}

/**
 * Evidence recall@k (evidence turns among the top k / evidence turns), hit@k (any evidence turn in
 * the top k) and the reciprocal rank of the first evidence turn within the top k, as means in percent
 * (MRR as a fraction), overall and per category.
 */
export function score(answers: Answer[], k: number): Scored {
  const perCategory = Object.fromEntries(
    CATEGORIES.map((c) => [`${c} ${CATEGORY_NAMES[c]}`, metricsOf(answers.filter((a) => a.question.category === c), k)]),
  );
  return { k, overall: metricsOf(answers, k), perCategory };
}

/** The Snowball English stop words (PostgreSQL's `english.stop`, NLTK's list). */
const STOP_WORDS = new Set(
  (
    'i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers herself it its itself ' +
    'they them their theirs themselves what which who whom this that these those am is are was were be been being have has had ' +
    'having do does did doing a an the and but if or because as until while of at by for with about against between into through ' +
    'during before after above below to from up down in out on off over under again further then once here there when where why ' +
    'how all any both each few more most other some such no nor not only own same so than too very s t can will just don should now'
  ).split(' '),
);

/** What a developer would otherwise reach for: minisearch, BM25, English stemming and stop words, OR. */
export function bm25Baseline(turns: Turn[]): (query: string, k: number) => string[] {
  const search = new MiniSearch<Turn>({
    fields: ['content'],
    storeFields: ['id'],
    processTerm: (term) => (STOP_WORDS.has(term.toLowerCase()) ? null : stemmer(term.toLowerCase())),
    searchOptions: { combineWith: 'OR' },
  });
  search.addAll(turns);
  return (query, k) =>
    search
      .search(query)
      .slice(0, k)
      .map((r) => r.id as string);
}
