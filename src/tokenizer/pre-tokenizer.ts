// BertPreTokenizer of Hugging Face `tokenizers` (pre_tokenizers/bert.rs): split on whitespace
// (removed), then isolate every punctuation char as its own word.
import type { PreTokenizer } from './parts.js';
import { isBertPunctuation, isWhitespace } from './unicode.js';

const WORD = 0;
const SPACE = 1;
const PUNCTUATION = 2;

const ASCII_CLASS = new Uint8Array(128);
for (let code = 0; code < 128; code++) {
  ASCII_CLASS[code] = isWhitespace(code) ? SPACE : isBertPunctuation(code) ? PUNCTUATION : WORD;
}

function charClass(codePoint: number): number {
  if (codePoint < 128) return ASCII_CLASS[codePoint];
  if (isWhitespace(codePoint)) return SPACE;
  return isBertPunctuation(codePoint) ? PUNCTUATION : WORD;
}

export class BertPreTokenizer implements PreTokenizer {
  preTokenize(text: string, words: string[]): void {
    bertPreTokenize(text, words);
  }
}

/** Appends the words of text to words. */
function bertPreTokenize(text: string, words: string[]): void {
  let wordStart = 0;
  for (let i = 0; i < text.length; ) {
    const codePoint = text.codePointAt(i)!;
    const width = codePoint > 0xffff ? 2 : 1;
    const kind = charClass(codePoint);
    if (kind !== WORD) {
      if (wordStart < i) words.push(text.slice(wordStart, i));
      if (kind === PUNCTUATION) words.push(text.slice(i, i + width));
      wordStart = i + width;
    }
    i += width;
  }
  if (wordStart < text.length) words.push(text.slice(wordStart));
}

// Rust char::is_whitespace (White_Space): unlike JavaScript's \s it holds U+0085 and not U+FEFF.
const RUST_WHITESPACE = /[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;

/** WhitespaceSplit (pre_tokenizers/whitespace.rs): words between runs of whitespace, which is dropped. */
export class WhitespaceSplit implements PreTokenizer {
  preTokenize(text: string, words: string[]): void {
    for (const word of text.split(RUST_WHITESPACE)) if (word.length > 0) words.push(word);
  }
}

/**
 * pre_tokenizers::Sequence: each step splits every word of the one before. A word starts the
 * text when it is the first of a step that did and the text begins with it (offset 0).
 */
export class PreTokenizerSequence implements PreTokenizer {
  constructor(private readonly steps: readonly PreTokenizer[]) {}

  preTokenize(text: string, words: string[], atTextStart: boolean): void {
    let pieces = [text];
    let firstAtStart = atTextStart;
    for (const step of this.steps) {
      const next: string[] = [];
      pieces.forEach((piece, index) => step.preTokenize(piece, next, firstAtStart && index === 0));
      firstAtStart = firstAtStart && next.length > 0 && pieces[0].startsWith(next[0]);
      pieces = next;
    }
    words.push(...pieces);
  }
}
