// Added tokens of Hugging Face `tokenizers` (tokenizer/added_vocabulary.rs): they are cut out of
// the text before the model sees it, the non-normalized ones from the raw text, the normalized
// ones from each normalized remainder (AddedVocabulary::extract_and_normalize).
import { isWhitespace } from './unicode.js';

export interface AddedToken {
  id: number;
  content: string;
  singleWord: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
}

/** A piece of text still to tokenize, or the id of an added token found in it. */
export type Segment = string | number;

// Rust regex `\w` (Unicode): what added_vocabulary.rs starts_with_word / ends_with_word test.
const WORD_CHAR = /^[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]$/u;

/** Splits text on a set of added tokens, as AddedVocabulary::find_matches with a leftmost-longest Aho-Corasick. */
export class AddedTokenSplitter {
  private readonly patterns: string[];
  private readonly tokens: AddedToken[];

  /** patterns[i] is what tokens[i] looks like in the text it is searched in */
  constructor(tokens: AddedToken[], patterns: string[]) {
    const kept = tokens.map((token, index) => ({ token, pattern: patterns[index] })).filter(({ pattern }) => pattern.length > 0);
    this.tokens = kept.map(({ token }) => token);
    this.patterns = kept.map(({ pattern }) => pattern);
  }

  /** Appends the segments of text to segments; empty pieces are left out. */
  split(text: string, segments: Segment[]): void {
    if (this.patterns.length === 0 || text.length === 0) {
      if (text.length > 0) segments.push(text);
      return;
    }
    // Next occurrence of every pattern at or after the search position; -1 once there is none.
    const nextAt = this.patterns.map((pattern) => text.indexOf(pattern));
    let searchFrom = 0;
    let pieceStart = 0;
    for (;;) {
      let best = -1;
      for (let p = 0; p < this.patterns.length; p++) {
        if (nextAt[p] !== -1 && nextAt[p] < searchFrom) nextAt[p] = text.indexOf(this.patterns[p], searchFrom);
        const at = nextAt[p];
        if (at === -1) continue;
        if (best === -1 || at < nextAt[best] || (at === nextAt[best] && this.patterns[p].length > this.patterns[best].length)) best = p;
      }
      if (best === -1) break;
      const token = this.tokens[best];
      let start = nextAt[best];
      let stop = start + this.patterns[best].length;
      searchFrom = stop;
      if (token.singleWord && (endsWithWordChar(text, start) || startsWithWordChar(text, stop))) continue;
      if (token.lstrip) {
        let spaceStart = start;
        while (spaceStart > 0) {
          const previous = codePointBefore(text, spaceStart);
          if (!isWhitespace(previous)) break;
          spaceStart -= previous > 0xffff ? 2 : 1;
        }
        // The previous match may already have taken those spaces.
        start = Math.max(spaceStart, pieceStart);
      }
      if (token.rstrip) {
        while (stop < text.length) {
          const next = text.codePointAt(stop)!;
          if (!isWhitespace(next)) break;
          stop += next > 0xffff ? 2 : 1;
        }
      }
      if (pieceStart < start) segments.push(text.slice(pieceStart, start));
      segments.push(token.id);
      pieceStart = stop;
    }
    if (pieceStart < text.length) segments.push(text.slice(pieceStart));
  }
}

function codePointBefore(text: string, index: number): number {
  const low = text.charCodeAt(index - 1);
  if (index >= 2 && low >= 0xdc00 && low <= 0xdfff) {
    const high = text.charCodeAt(index - 2);
    if (high >= 0xd800 && high <= 0xdbff) return text.codePointAt(index - 2)!;
  }
  return low;
}

function endsWithWordChar(text: string, index: number): boolean {
  return index > 0 && WORD_CHAR.test(String.fromCodePoint(codePointBefore(text, index)));
}

function startsWithWordChar(text: string, index: number): boolean {
  return index < text.length && WORD_CHAR.test(String.fromCodePoint(text.codePointAt(index)!));
}
