// Metaspace pre-tokenizer of Hugging Face `tokenizers` (pre_tokenizers/metaspace.rs): spaces
// become the replacement character, one is prepended per prepend_scheme, and with `split` every
// replacement character starts a new word (SplitDelimiterBehavior::MergedWithNext).

import type { PreTokenizer } from './parts.js';

export type PrependScheme = 'always' | 'never' | 'first';

export class Metaspace implements PreTokenizer {
  constructor(
    private readonly replacement: string,
    private readonly prependScheme: PrependScheme,
    private readonly split: boolean,
  ) {}

  /** Appends the words of text to words; atTextStart: text begins at offset 0 of the input (scheme `first`). */
  preTokenize(text: string, words: string[], atTextStart: boolean): void {
    // NormalizedString::prepend leaves an empty string empty.
    if (text.length === 0) return;
    let replaced = text.replaceAll(' ', this.replacement);
    const prepend = this.prependScheme === 'always' || (this.prependScheme === 'first' && atTextStart);
    if (prepend && !replaced.startsWith(this.replacement)) replaced = this.replacement + replaced;
    if (!this.split) {
      words.push(replaced);
      return;
    }
    let wordStart = 0;
    for (let at = replaced.indexOf(this.replacement, 1); at !== -1; at = replaced.indexOf(this.replacement, at + this.replacement.length)) {
      words.push(replaced.slice(wordStart, at));
      wordStart = at;
    }
    if (wordStart < replaced.length) words.push(replaced.slice(wordStart));
  }
}
