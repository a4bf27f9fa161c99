import type { AddedToken } from './added-tokens.js';
import type { BertNormalizer } from './normalizer.js';
import type { PostProcessor } from './post-processor.js';
import type { WordPiece } from './wordpiece.js';

/** What a tokenizer is built from, whichever files described it. */
export interface TokenizerParts {
  normalizer: BertNormalizer | null;
  /** null: the whole normalized text is one word */
  preTokenizer: 'BertPreTokenizer' | null;
  wordPiece: WordPiece;
  addedTokens: AddedToken[];
  postProcessor: PostProcessor;
}
