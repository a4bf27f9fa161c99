// WordPiece model of Hugging Face `tokenizers` (models/wordpiece/mod.rs, WordPiece::tokenize):
// greedy longest match from the left, continuation pieces prefixed, and the whole word becomes
// the unknown token when it is too long or any part of it has no match.
import type { TokenModel } from './parts.js';

export interface WordPieceOptions {
  vocab: Map<string, number>;
  unkToken: string;
  continuingSubwordPrefix: string;
  maxInputCharsPerWord: number;
}

export class WordPiece implements TokenModel {
  readonly vocab: Map<string, number>;
  readonly unkId: number;
  private readonly prefix: string;
  private readonly maxInputCharsPerWord: number;

  /** source names the file in error messages */
  constructor(options: WordPieceOptions, source: string) {
    const unkId = options.vocab.get(options.unkToken);
    if (unkId === undefined) {
      throw new Error(`${source}: the WordPiece unknown token ${JSON.stringify(options.unkToken)} is not in the vocabulary`);
    }
    this.vocab = options.vocab;
    this.unkId = unkId;
    this.prefix = options.continuingSubwordPrefix;
    this.maxInputCharsPerWord = options.maxInputCharsPerWord;
  }

  /** Appends the ids of word to ids. */
  tokenize(word: string, ids: number[]): void {
    const whole = this.vocab.get(word);
    if (whole !== undefined && word.length <= this.maxInputCharsPerWord) {
      ids.push(whole);
      return;
    }
    if (countCodePoints(word) > this.maxInputCharsPerWord) {
      ids.push(this.unkId);
      return;
    }
    const firstPiece = ids.length;
    for (let start = 0; start < word.length; ) {
      let end = word.length;
      let pieceId: number | undefined;
      while (start < end) {
        const piece = start === 0 ? word.slice(0, end) : this.prefix + word.slice(start, end);
        pieceId = this.vocab.get(piece);
        if (pieceId !== undefined) break;
        end -= end - 2 >= start && isSurrogatePair(word, end - 2) ? 2 : 1;
      }
      if (pieceId === undefined) {
        ids.length = firstPiece;
        ids.push(this.unkId);
        return;
      }
      ids.push(pieceId);
      start = end;
    }
  }
}

function isSurrogatePair(text: string, index: number): boolean {
  const high = text.charCodeAt(index);
  const low = text.charCodeAt(index + 1);
  return high >= 0xd800 && high <= 0xdbff && low >= 0xdc00 && low <= 0xdfff;
}

// Rust's chars().count(): a lone surrogate (possible in a JS string) counts as one char.
function countCodePoints(text: string): number {
  let count = text.length;
  for (let i = 0; i + 1 < text.length; i++) if (isSurrogatePair(text, i)) count--;
  return count;
}
