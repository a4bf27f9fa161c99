// BertPreTokenizer of Hugging Face `tokenizers` (pre_tokenizers/bert.rs): split on whitespace
// (removed), then isolate every punctuation char as its own word.
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

/** Appends the words of text to words. */
export function bertPreTokenize(text: string, words: string[]): void {
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
