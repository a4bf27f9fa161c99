import type { AddedToken } from './added-tokens.js';
import type { PostProcessor } from './post-processor.js';

/** A normalizer step: text in, normalized text out. */
export interface Normalizer {
  normalize(text: string): string;
}

/** Splits a normalized piece into the words the model tokenizes one by one. */
export interface PreTokenizer {
  /** Appends the words of text to words; atTextStart: text begins at offset 0 of the input. */
  preTokenize(text: string, words: string[], atTextStart: boolean): void;
}

/** The model: words to ids. */
export interface TokenModel {
  readonly vocab: Map<string, number>;
  /** Appends the ids of word to ids. */
  tokenize(word: string, ids: number[]): void;
}

/** What a tokenizer is built from, whichever files described it. */
export interface TokenizerParts {
  normalizer: Normalizer | null;
  /** null: the whole normalized text is one word */
  preTokenizer: PreTokenizer | null;
  model: TokenModel;
  addedTokens: AddedToken[];
  postProcessor: PostProcessor;
}
