// Loopback fake of an OpenAI-compatible embeddings API (POST /v1/embeddings) with a deterministic
// embedder that understands a little meaning: words are mapped through a synonym table to
// concepts, so "the automobile was quick" and "a fast car" embed to the same direction although
// they share no word, while unrelated text lands elsewhere. Clients configure `${fake.url}/v1` as
// their base URL and POST to `<base>/embeddings`. Like the OpenAI API it honours `dimensions` and
// `encoding_format: 'base64'` (little-endian float32); JSON vectors are exactly embedText()'s output.
import { createHash } from 'node:crypto';
import { startFakeServer, type FakeReply, type FakeServer, type RecordedRequest } from './http.js';

const CONCEPTS: Record<string, string[]> = {
  vehicle: ['car', 'automobile', 'auto', 'vehicle', 'truck', 'sedan'],
  fast: ['fast', 'quick', 'rapid', 'speedy', 'swift', 'quickly', 'rapidly'],
  slow: ['slow', 'sluggish', 'leisurely', 'unhurried'],
  happy: ['happy', 'joyful', 'glad', 'cheerful', 'delighted', 'content'],
  sad: ['sad', 'unhappy', 'sorrowful', 'depressed', 'gloomy', 'miserable'],
  angry: ['angry', 'furious', 'mad', 'irate', 'annoyed'],
  doctor: ['doctor', 'physician', 'medic', 'surgeon', 'clinician'],
  sick: ['sick', 'ill', 'unwell', 'ailing'],
  buy: ['buy', 'bought', 'purchase', 'acquire', 'shop'],
  sell: ['sell', 'sold', 'vend'],
  big: ['big', 'large', 'huge', 'enormous', 'giant', 'massive'],
  small: ['small', 'little', 'tiny', 'miniature'],
  house: ['house', 'home', 'dwelling', 'residence', 'apartment'],
  begin: ['begin', 'began', 'start', 'commence', 'initiate'],
  end: ['end', 'finish', 'conclude', 'terminate', 'stop'],
  smart: ['smart', 'intelligent', 'clever', 'bright', 'brilliant'],
  dog: ['dog', 'puppy', 'hound', 'canine'],
  cat: ['cat', 'kitten', 'feline'],
  food: ['food', 'meal', 'dish', 'cuisine', 'eat', 'ate', 'dinner', 'lunch', 'breakfast'],
  money: ['money', 'cash', 'funds', 'currency', 'dollar'],
  job: ['job', 'work', 'employment', 'occupation', 'career', 'profession'],
  child: ['child', 'children', 'kid', 'youngster', 'toddler'],
  beautiful: ['beautiful', 'pretty', 'lovely', 'gorgeous', 'attractive'],
  help: ['help', 'assist', 'aid', 'support'],
  talk: ['talk', 'speak', 'say', 'said', 'chat', 'converse', 'discuss'],
  walk: ['walk', 'stroll', 'hike', 'wander'],
  city: ['city', 'town', 'metropolis', 'urban'],
  road: ['road', 'street', 'avenue', 'highway'],
  computer: ['computer', 'pc', 'laptop', 'notebook'],
  error: ['error', 'mistake', 'bug', 'fault'],
  remember: ['remember', 'recall', 'recollect', 'memory', 'memorize'],
  forget: ['forget', 'forgot', 'forgotten'],
  meeting: ['meeting', 'appointment', 'conference'],
  travel: ['travel', 'trip', 'journey', 'voyage', 'vacation', 'holiday'],
  like: ['like', 'love', 'enjoy', 'prefer', 'favorite', 'favourite'],
  dislike: ['dislike', 'hate', 'detest', 'loathe'],
  question: ['question', 'query', 'ask', 'inquiry'],
  answer: ['answer', 'reply', 'respond', 'response'],
  cold: ['cold', 'chilly', 'freezing', 'cool'],
  hot: ['hot', 'warm', 'heated', 'scorching'],
};

const SYNONYMS = new Map<string, string>(
  Object.entries(CONCEPTS).flatMap(([concept, words]) => words.map((word) => [word, concept] as [string, string])),
);

// Function words carry no topic; dropping them lets paraphrases with different grammar match.
const STOP_WORDS = new Set(
  (
    'a an the is was were are be been being am of to in on at by for with and or but it its this that these those ' +
    'i me my you your he him his she her we us our they them their as from so very really just do does did has ' +
    'have had will would can could should there here about into over than then too'
  ).split(' '),
);

const SUFFIXES = ['ies', 'es', 's', 'ed', 'd', 'ing', 'ly'];
const HASHES_PER_FEATURE = 3;

// Tries the word, then the word with a common suffix removed, so "cars" and "purchased" find their
// concept; other words only lose a plural "s", which keeps their stem stable.
function feature(word: string): string {
  const candidates = [word];
  for (const suffix of SUFFIXES) {
    if (word.length > suffix.length + 2 && word.endsWith(suffix)) {
      candidates.push(word.slice(0, -suffix.length) + (suffix === 'ies' ? 'y' : ''));
    }
  }
  for (const candidate of candidates) {
    const concept = SYNONYMS.get(candidate);
    if (concept) return `concept:${concept}`;
  }
  const plural = word.length > 3 && word.endsWith('s') && !word.endsWith('ss');
  return `word:${plural ? word.slice(0, -1) : word}`;
}

function features(text: string): string[] {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const content = words.filter((word) => !STOP_WORDS.has(word));
  if (content.length > 0) return content.map(feature);
  if (words.length > 0) return words.map(feature);
  return [`text:${text}`];
}

const slotCache = new Map<string, Array<{ index: number; sign: number }>>();

function slots(name: string, dim: number): Array<{ index: number; sign: number }> {
  const cacheKey = `${dim}:${name}`;
  let cached = slotCache.get(cacheKey);
  if (!cached) {
    const digest = createHash('sha256').update(name).digest();
    cached = Array.from({ length: HASHES_PER_FEATURE }, (_, k) => ({
      index: digest.readUInt32BE(k * 4) % dim,
      sign: (digest[24 + k] as number) & 1 ? 1 : -1,
    }));
    slotCache.set(cacheKey, cached);
  }
  return cached;
}

/** The fake's embedding of `text`: deterministic, unit length, synonyms share dimensions. */
export function embedText(text: string, dim: number): number[] {
  const vector = new Array<number>(dim).fill(0);
  for (const name of features(text)) {
    for (const { index, sign } of slots(name, dim)) vector[index] = (vector[index] as number) + sign;
  }
  const norm = Math.hypot(...vector);
  // Opposite signs can cancel out completely; any fixed unit vector keeps the result well defined.
  if (norm === 0) return vector.map((_, i) => (i === 0 ? 1 : 0));
  return vector.map((value) => value / norm);
}

export function cosineSimilarity(a: number[], b: number[]): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i++) {
    dot += (a[i] as number) * (b[i] as number);
    normA += (a[i] as number) ** 2;
    normB += (b[i] as number) ** 2;
  }
  return dot / Math.sqrt(normA * normB);
}

export interface StartFakeEmbeddingsOptions {
  dim: number;
  /** When set, requests need `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
}

export interface FakeEmbeddings extends FakeServer {
  /** `${url}/v1`, the base URL an OpenAI-compatible client expects. */
  readonly baseUrl: string;
  /** Answers with vectors of `dim` entries instead of the configured size, until reset(). */
  setDimension(dim: number): void;
  /** Answers every request after `ms` milliseconds (a slow model), until reset(). */
  setLatency(ms: number): void;
  /** Number of inputs of each embeddings request received, in order. */
  batchSizes(): number[];
  /** The most embeddings requests in progress at one time since the last reset(). */
  maxInFlight(): number;
}

const MAX_BATCH = 2048;

function openAiError(status: number, message: string, type: string, code: string | null = null): FakeReply {
  return { status, body: { error: { message, type, param: null, code } } };
}

const invalidInput = (): FakeReply =>
  openAiError(400, "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", 'invalid_request_error');

function inputsOf(body: unknown): string[] | undefined {
  const input = (body as { input?: unknown } | undefined)?.input;
  if (typeof input === 'string') return [input];
  if (Array.isArray(input) && input.length > 0 && input.every((item) => typeof item === 'string')) return input;
  return undefined;
}

function floatsToBase64(vector: number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString('base64');
}

export async function startFakeEmbeddings(options: StartFakeEmbeddingsOptions): Promise<FakeEmbeddings> {
  let dimensionOverride: number | undefined;
  let latencyMs = 0;
  let inFlight = 0;
  let maxInFlight = 0;

  async function embed(req: RecordedRequest): Promise<FakeReply> {
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    try {
      if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
    } finally {
      inFlight--;
    }
    const body = req.body as { model?: unknown; encoding_format?: unknown; dimensions?: unknown } | undefined;
    if (typeof body?.model !== 'string' || body.model === '') {
      return openAiError(400, 'you must provide a model parameter', 'invalid_request_error');
    }
    const inputs = inputsOf(body);
    if (!inputs || inputs.some((text) => text === '')) return invalidInput();
    if (inputs.length > MAX_BATCH) {
      return openAiError(400, `'$.input' is invalid: at most ${MAX_BATCH} inputs per request.`, 'invalid_request_error');
    }
    const requested = typeof body.dimensions === 'number' ? body.dimensions : options.dim;
    const dim = dimensionOverride ?? requested;
    const base64 = body.encoding_format === 'base64';
    const tokens = inputs.reduce((sum, text) => sum + Math.max(1, (text.match(/[\p{L}\p{N}]+/gu) ?? []).length), 0);
    return {
      status: 200,
      body: {
        object: 'list',
        data: inputs.map((text, index) => {
          const vector = embedText(text, dim);
          return { object: 'embedding', index, embedding: base64 ? floatsToBase64(vector) : vector };
        }),
        model: body.model,
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      },
    };
  }

  function authenticate(req: RecordedRequest): FakeReply | undefined {
    if (options.apiKey === undefined || req.headers.authorization === `Bearer ${options.apiKey}`) return undefined;
    const message = 'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.';
    return openAiError(401, message, 'invalid_request_error', 'invalid_api_key');
  }

  const server = await startFakeServer({
    routes: [{ method: 'POST', pattern: '/v1/embeddings', handler: embed }],
    authenticate,
    serverError: () => openAiError(500, 'The server had an error while processing your request. Sorry about that!', 'server_error'),
    notFound: (req) => openAiError(404, `Invalid URL (${req.method} ${req.path})`, 'invalid_request_error'),
    onReset: () => {
      dimensionOverride = undefined;
      latencyMs = 0;
      maxInFlight = 0;
    },
  });

  return Object.assign(server, {
    baseUrl: `${server.url}/v1`,
    setDimension(dim: number) {
      dimensionOverride = dim;
    },
    setLatency(ms: number) {
      latencyMs = ms;
    },
    maxInFlight: () => maxInFlight,
    batchSizes() {
      return server.requests.filter((r) => r.path === '/v1/embeddings').map((r) => inputsOf(r.body)?.length ?? 0);
    },
  });
}
