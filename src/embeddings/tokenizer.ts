/**
 * The Universal Sentence Encoder's SentencePiece (unigram) tokenizer, built from the published
 * algorithm (Kudo 2018, "Subword Regularization") and the model's `vocab.json`: the text is
 * normalized, its spaces become the word-boundary mark U+2581, and the segmentation with the
 * highest total piece score (log-probability) is found by dynamic programming over the lattice of
 * vocabulary pieces. See docs/embeddings.md.
 */

/** `vocab.json`: [piece, score] per token id. Some user-defined pieces (":", ":)") have no score. */
export type Vocabulary = readonly (readonly [string, number | null])[];

/** Ids 0..5 are `<unk>`, `<s>`, `</s>` and three extra control ids: never produced by matching. */
const RESERVED_IDS = 6;
const UNKNOWN_ID = 0;
const WORD_BOUNDARY = '\u2581';
/** SentencePiece scores an unknown character below every real piece by this margin. */
const UNKNOWN_PENALTY = 10;

class TrieNode {
  readonly next = new Map<number, TrieNode>();
  /** The token id ending here, or -1. */
  id = -1;
  score = 0;
}

export class Tokenizer {
  private readonly root = new TrieNode();
  private readonly unknownScore: number;
  /** The piece of a lone word boundary. */
  readonly boundaryId: number;

  constructor(vocabulary: Vocabulary) {
    let lowest = 0;
    for (let id = RESERVED_IDS; id < vocabulary.length; id++) {
      const [piece, score] = vocabulary[id]!;
      let node = this.root;
      for (const char of piece) {
        const code = char.codePointAt(0)!;
        let child = node.next.get(code);
        if (!child) node.next.set(code, (child = new TrieNode()));
        node = child;
      }
      // A piece listed twice keeps its last id, as the model's own tokenizer does.
      node.id = id;
      node.score = score ?? 0;
      lowest = Math.min(lowest, node.score);
    }
    this.unknownScore = lowest - UNKNOWN_PENALTY;
    this.boundaryId = this.root.next.get(WORD_BOUNDARY.codePointAt(0)!)?.id ?? UNKNOWN_ID;
  }

  /**
   * Token ids of `text`. Whitespace runs (spaces, tabs, new lines) count as one space and the ends
   * are trimmed, as SentencePiece's default normalizer does; an empty text has no tokens.
   */
  encode(text: string): number[] {
    const normalized = text.normalize('NFKC').replace(/\s+/gu, ' ').trim();
    if (normalized.length === 0) return [];
    const chars = Array.from(WORD_BOUNDARY + normalized.replaceAll(' ', WORD_BOUNDARY), (c) => c.codePointAt(0)!);
    const n = chars.length;

    // best[i]: the highest score of a segmentation of chars[0..i); last*[i]: its final piece.
    const best = new Float64Array(n + 1).fill(-Infinity);
    const lastId = new Int32Array(n + 1);
    const lastLength = new Int32Array(n + 1);
    best[0] = 0;
    const offer = (end: number, score: number, id: number, length: number) => {
      // Ties go to the piece that starts later, as in the model's reference tokenizer.
      if (score >= best[end]!) {
        best[end] = score;
        lastId[end] = id;
        lastLength[end] = length;
      }
    };

    for (let start = 0; start < n; start++) {
      const base = best[start]!;
      let single = false;
      let node: TrieNode | undefined = this.root;
      for (let end = start; end < n; end++) {
        node = node.next.get(chars[end]!);
        if (!node) break;
        if (node.id < 0) continue;
        if (end === start) single = true;
        offer(end + 1, base + node.score, node.id, end + 1 - start);
      }
      // A character no piece starts with (or only longer pieces do) can always be passed as <unk>,
      // so every position stays reachable.
      if (!single) offer(start + 1, base + this.unknownScore, UNKNOWN_ID, 1);
    }

    const ids: number[] = [];
    for (let end = n; end > 0; end -= lastLength[end]!) {
      const id = lastId[end]!;
      // Consecutive unknown characters are one <unk>.
      if (id === UNKNOWN_ID && ids.at(-1) === UNKNOWN_ID) continue;
      ids.push(id);
    }
    return ids.reverse();
  }
}
