import { badInput } from '../../errors.js';

/**
 * The shape rules of memories (docs/memories.md), shared by stores and recalls. Each check names the field it refuses
 * (`prefix` locates an item of a list, e.g. `inputs[3].`), so a client knows exactly what to fix.
 */

export const AGENT_NAME = /^[A-Za-z0-9._-]{1,64}$/;
export const DEFAULT_AGENT = 'default';
export const DEFAULT_IMPORTANCE = 0.5;
export const MAX_CONTENT_CHARS = 10_000;
export const MAX_TAGS = 20;
export const MAX_TAG_CHARS = 64;
export const MAX_METADATA_BYTES = 16 * 1024;
export const MAX_IDEMPOTENCY_KEY_CHARS = 255;

/** Characters, not UTF-16 units: an emoji is one character. */
const charCount = (text: string) => [...text].length;

/** PostgreSQL text and jsonb cannot hold NUL. */
const hasNul = (text: string) => text.includes('\u0000');

export function agentName(raw: string, field: string): string {
  if (!AGENT_NAME.test(raw)) throw badInput(field, 'An agent name is 1 to 64 characters of ASCII letters, digits, "-", "_" and "."');
  return raw;
}

export function content(raw: string, field: string): string {
  const text = raw.trim();
  if (text.length === 0) throw badInput(field, 'Content must not be empty');
  if (charCount(text) > MAX_CONTENT_CHARS) throw badInput(field, `Content is at most ${MAX_CONTENT_CHARS} characters`);
  if (hasNul(text)) throw badInput(field, 'Content must not contain NUL characters');
  return text;
}

export function unitInterval(value: number, field: string): number {
  if (!Number.isFinite(value) || value < 0 || value > 1) throw badInput(field, `${field.replace(/^.*\./, '')} must be between 0 and 1`);
  return value;
}

/** Trimmed, duplicates dropped, order kept. */
export function tags(raw: readonly string[] | null | undefined, field: string): string[] {
  if (!raw) return [];
  if (raw.length > MAX_TAGS) throw badInput(field, `At most ${MAX_TAGS} tags`);
  const seen = new Set<string>();
  for (const entry of raw) {
    const tag = entry.trim();
    if (tag.length === 0 || charCount(tag) > MAX_TAG_CHARS || hasNul(tag)) throw badInput(field, `Each tag is 1 to ${MAX_TAG_CHARS} characters`);
    seen.add(tag);
  }
  return [...seen];
}

/** Objects and arrays nested deeper than this are refused (the metadata object itself is level 1). */
export const MAX_METADATA_DEPTH = 32;

/**
 * Whether `value` nests objects or arrays deeper than `max`, found without recursion: a value nested
 * 200,000 levels (it fits in a 1 MB body) would overflow the stack of JSON.stringify or of any
 * recursive walk, and turn a client's mistake into an internal error.
 */
function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth > max) return true;
    for (const child of Object.values(current)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}

export function metadata(raw: Record<string, unknown> | null | undefined, field: string): Record<string, unknown> | null {
  if (raw === null || raw === undefined) return null;
  if (nestedDeeperThan(raw, MAX_METADATA_DEPTH)) throw badInput(field, `Metadata nests at most ${MAX_METADATA_DEPTH} levels of objects and arrays`);
  const json = JSON.stringify(raw);
  if (Buffer.byteLength(json, 'utf8') > MAX_METADATA_BYTES) throw badInput(field, `Metadata is at most ${MAX_METADATA_BYTES} bytes of JSON`);
  if (json.includes('\\u0000')) throw badInput(field, 'Metadata must not contain NUL characters');
  return raw;
}

/** Of the deployment's dimension (EMBEDDINGS_DIM), finite, and not all zeros (it would have no direction). */
export function embedding(raw: readonly number[] | null | undefined, dim: number, field: string): number[] | null {
  if (raw === null || raw === undefined) return null;
  if (raw.length !== dim) throw badInput(field, `An embedding has ${dim} dimensions on this deployment (got ${raw.length})`);
  if (!raw.every(Number.isFinite)) throw badInput(field, 'An embedding holds finite numbers only');
  if (raw.every((x) => x === 0)) throw badInput(field, 'An embedding must not be all zeros');
  return [...raw];
}

export function futureDate(raw: Date | null | undefined, field: string, now = Date.now()): Date | null {
  if (raw === null || raw === undefined) return null;
  if (raw.getTime() <= now) throw badInput(field, `${field.replace(/^.*\./, '')} must be in the future`);
  return raw;
}

/** Any valid date (a time filter, or when something happened). */
export function date(raw: Date | null | undefined, field: string): Date | null {
  if (raw === null || raw === undefined) return null;
  if (Number.isNaN(raw.getTime())) throw badInput(field, `${field.replace(/^.*\./, '')} is not a valid date`);
  return raw;
}

export function idempotencyKey(raw: string | null | undefined, field: string): string | null {
  if (raw === null || raw === undefined) return null;
  if (raw.length === 0 || raw.length > MAX_IDEMPOTENCY_KEY_CHARS || hasNul(raw)) {
    throw badInput(field, `An idempotency key is 1 to ${MAX_IDEMPOTENCY_KEY_CHARS} characters`);
  }
  return raw;
}

/** A pgvector literal. */
export const vectorLiteral = (values: readonly number[]) => `[${values.join(',')}]`;
