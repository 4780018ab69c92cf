/** Texts and vector arithmetic shared by the embedding tests. */

const PEOPLE = ['Caroline', 'Melanie', 'Dana', 'Omar', 'Priya', 'Jon'];
const THINGS = [
  'went to a support group yesterday and it was so powerful',
  'is thinking about adopting a dog from the shelter next month',
  'prefers to be contacted by email rather than by phone',
  'started pottery classes and made a blue bowl for her mother',
  'ran a half marathon in the rain last Sunday',
  'is reading a book about the history of jazz in New Orleans',
  'moved to a new apartment close to the river',
  'wants to learn Rust because a friend recommended it',
  'painted a sunset over the lake for the art show',
  'is nervous about the job interview on Friday morning',
  'cooked a spicy lentil soup for the neighbours',
];

/** `n` distinct conversational memories of 10–30 words, like the ones agents store. */
export function conversationTurns(n: number): string[] {
  return Array.from({ length: n }, (_, i) => {
    const person = PEOPLE[i % PEOPLE.length]!;
    const thing = THINGS[Math.floor(i / PEOPLE.length) % THINGS.length]!;
    const extra = i >= PEOPLE.length * THINGS.length ? ` (note ${i})` : '';
    return `${person}: I ${thing.replace(/^is /, 'am ').replace(/^prefers/, 'prefer').replace(/^wants/, 'want')}.${extra}`;
  });
}

export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}
