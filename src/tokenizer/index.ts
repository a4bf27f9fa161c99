// A tokenizer giving the same ids as sentence-transformers on Hugging Face `tokenizers`
// (TokenizerImpl::encode_single_sequence + post_process): WordPiece for BERT and MPNet
// checkpoints, Unigram for XLM-RoBERTa ones.
import { type AddedToken, AddedTokenSplitter, type Segment } from './added-tokens.js';
import { BertNormalizer } from './normalizer.js';
import type { Normalizer, PreTokenizer, TokenModel, TokenizerParts } from './parts.js';
import type { PairEncoding, PostProcessor } from './post-processor.js';
import { BertPreTokenizer } from './pre-tokenizer.js';
import { type TokenizerConfigs, parseJsonFile, specialTokenValue } from './special-tokens.js';
import { padTokenFromTokenizerJson, partsFromTokenizerJson } from './tokenizer-json.js';
import { partsFromVocabTxt } from './vocab-txt.js';

export type { PairEncoding } from './post-processor.js';

export interface TokenizerFiles {
  'tokenizer.json'?: string;
  'vocab.txt'?: string;
  'tokenizer_config.json'?: string;
  'special_tokens_map.json'?: string;
}

export class Tokenizer {
  readonly padId: number;
  private readonly normalizer: Normalizer | null;
  private readonly preTokenizer: PreTokenizer | null;
  private readonly model: TokenModel;
  private readonly postProcessor: PostProcessor;
  private readonly rawSplitter: AddedTokenSplitter;
  private readonly normalizedSplitter: AddedTokenSplitter;
  /** Token strings by id, built the first time one is asked for. */
  private texts: string[] | undefined;
  private readonly addedTokens: readonly AddedToken[];
  /** Whether a prefix ending in whitespace tokenizes to the first ids of the whole text (see encode). */
  private readonly prefixesAgree: boolean;

  private constructor(parts: TokenizerParts, padId: number, private readonly file: string) {
    this.normalizer = parts.normalizer;
    this.preTokenizer = parts.preTokenizer;
    this.model = parts.model;
    this.postProcessor = parts.postProcessor;
    this.padId = padId;
    this.addedTokens = parts.addedTokens;
    // With BERT's normalizer and pre-tokenizer every step maps text a character at a time
    // (clean_text, Chinese spacing, NFD within a character and its marks, lowercasing, whose
    // final-sigma rule looks only up to the next space), and the pre-tokenizer ends a word at
    // whitespace; an added token matched across a cut would have to contain the whitespace there.
    // sentencepiece's Precompiled works on grapheme clusters, which may span such a cut.
    this.prefixesAgree = parts.preTokenizer instanceof BertPreTokenizer &&
      (parts.normalizer === null || parts.normalizer instanceof BertNormalizer) &&
      parts.addedTokens.every((token) => !/\s/u.test(token.content));
    // AddedVocabulary::refresh_added_tokens: normalized tokens are searched for in their normalized form.
    const raw = parts.addedTokens.filter((token) => !token.normalized);
    const normalized = parts.addedTokens.filter((token) => token.normalized);
    this.rawSplitter = new AddedTokenSplitter(raw, raw.map((token) => token.content));
    this.normalizedSplitter = new AddedTokenSplitter(
      normalized,
      normalized.map((token) => (this.normalizer === null ? token.content : this.normalizer.normalize(token.content))),
    );
  }

  /** source names the folder/URL in error messages */
  static fromFiles(files: TokenizerFiles, source: string): Tokenizer {
    const configs: TokenizerConfigs = {
      config: parseJsonFile(files['tokenizer_config.json'], `${source}/tokenizer_config.json`),
      specialTokensMap: parseJsonFile(files['special_tokens_map.json'], `${source}/special_tokens_map.json`),
    };
    let parts: TokenizerParts;
    let padFromTokenizerJson: string | undefined;
    const file = `${source}/${files['tokenizer.json'] !== undefined ? 'tokenizer.json' : 'vocab.txt'}`;
    if (files['tokenizer.json'] !== undefined) {
      const json = parseJsonFile(files['tokenizer.json'], file);
      parts = partsFromTokenizerJson(json, file);
      padFromTokenizerJson = padTokenFromTokenizerJson(json);
    } else if (files['vocab.txt'] !== undefined) {
      if (files['tokenizer_config.json'] === undefined) {
        throw new Error(`${source}: has vocab.txt but no tokenizer_config.json, so the tokenizer class and its options are unknown`);
      }
      parts = partsFromVocabTxt(files['vocab.txt'], configs, source);
    } else {
      throw new Error(`${source}: no tokenizer.json and no vocab.txt; one of them is needed to build the tokenizer`);
    }
    const padToken = specialTokenValue(configs, 'pad_token', source)?.content ?? padFromTokenizerJson;
    if (padToken === undefined) {
      throw new Error(`${source}: no pad token in tokenizer_config.json, special_tokens_map.json or tokenizer.json padding`);
    }
    const padId = idOf(padToken, parts.addedTokens, parts.model);
    if (padId === undefined) throw new Error(`${source}: the pad token ${JSON.stringify(padToken)} is neither an added token nor in the vocabulary`);
    return new Tokenizer(parts, padId, file);
  }

  /**
   * Load-time checks against the model: every id the tokenizer can produce indexes its embedding
   * table (an id past it would fail, or wrap in an Int32Array, only at some later encode), and
   * `maxLength` holds at least the special tokens.
   */
  checkFits(vocabSize: number, maxLength: number, configFile: string, lengthFile: string): void {
    const { prefixIds, suffixIds, numSpecialTokens } = this.postProcessor;
    const check = (id: number, token: string) => {
      if (!(id >= 0 && id < vocabSize)) {
        throw new Error(`${this.file}: token id ${id} is outside the model's vocabulary: ${configFile} vocab_size is ` +
          `${vocabSize} (token ${JSON.stringify(token)})`);
      }
    };
    // one call per entry, no array of the whole vocabulary: it would outlast the load in V8's heap
    this.model.vocab.forEach(check);
    for (const token of this.addedTokens) check(token.id, token.content);
    const pairIds = (this.postProcessor.pairTemplate ?? []).flatMap((piece) => ('ids' in piece ? piece.ids : []));
    for (const id of [...prefixIds, ...suffixIds, ...pairIds]) check(id, 'a post_processor special token');
    if (maxLength < numSpecialTokens) {
      throw new Error(`${lengthFile}: max_seq_length ${maxLength} is less than the ${numSpecialTokens} special tokens the tokenizer adds`);
    }
  }

  /** One past the highest id the vocabulary or an added token has. */
  get vocabSize(): number {
    return this.tokenTexts().length;
  }

  /** Ids the post-processor puts before and after a text's own tokens ([CLS] and [SEP] for BERT). */
  get specialTokenCounts(): { prefix: number; suffix: number } {
    return { prefix: this.postProcessor.prefixIds.length, suffix: this.postProcessor.suffixIds.length };
  }

  /** The token string of an id, '' for an id nothing maps to. */
  tokenText(id: number): string {
    return this.tokenTexts()[id] ?? '';
  }

  private tokenTexts(): string[] {
    if (this.texts === undefined) {
      const texts: string[] = [];
      for (const [content, id] of this.model.vocab) texts[id] = content;
      for (const token of this.addedTokens) texts[token.id] = token.content;
      this.texts = texts;
    }
    return this.texts;
  }

  /** ids with special tokens, content truncated so the total is at most maxLength (>= number of special tokens) */
  encode(text: string, maxLength: number): Int32Array {
    const { prefixIds, suffixIds, numSpecialTokens } = this.postProcessor;
    if (!Number.isInteger(maxLength) || maxLength < numSpecialTokens) {
      throw new RangeError(`encode: maxLength must be an integer of at least ${numSpecialTokens} (the special tokens), found ${maxLength}`);
    }
    const contentIds = this.truncatedContentIds(text, maxLength - numSpecialTokens);
    const ids = new Int32Array(prefixIds.length + contentIds.length + suffixIds.length);
    ids.set(prefixIds, 0);
    ids.set(contentIds, prefixIds.length);
    ids.set(suffixIds, prefixIds.length + contentIds.length);
    return ids;
  }

  /**
   * ids and token type ids of the pair (a, b) with the post-processor's pair template, content
   * truncated `longest_first` so the total is at most maxLength (>= the pair's special tokens),
   * as Hugging Face `tokenizers` encodes a pair with truncation (sentence-transformers' cross-encoders).
   */
  encodePair(a: string, b: string, maxLength: number): PairEncoding {
    const { numPairSpecialTokens, pairTemplate } = this.postProcessor;
    if (pairTemplate === null) throw new Error(`${this.file}: post_processor has no pair template, so it cannot encode a pair of texts`);
    if (!Number.isInteger(maxLength) || maxLength < numPairSpecialTokens) {
      throw new RangeError(`encodePair: maxLength must be an integer of at least ${numPairSpecialTokens} (the special tokens of a pair), found ${maxLength}`);
    }
    const budget = maxLength - numPairSpecialTokens;
    // One id past the budget tells whether a side fits; when neither does, the split depends on
    // which is longer (ties go to B), so then both are tokenized whole.
    let idsA = this.truncatedContentIds(a, budget + 1);
    let idsB = this.truncatedContentIds(b, budget + 1);
    if (idsA.length > budget && idsB.length > budget) {
      idsA = this.contentIds(a, Infinity);
      idsB = this.contentIds(b, Infinity);
    }
    const [lengthA, lengthB] = longestFirstLengths(idsA.length, idsB.length, budget);
    return this.postProcessor.applyPair(idsA.slice(0, lengthA), idsB.slice(0, lengthB));
  }

  /**
   * The first `limit` content ids of `text` in time bounded by `limit`, not by the text: a prefix
   * cut just after a whitespace character gives the same first ids as the whole text (see
   * prefixesAgree), so prefixes four times longer each round are tried until one has enough.
   */
  private truncatedContentIds(text: string, limit: number): number[] {
    if (this.prefixesAgree) {
      const whitespace = /[ \t\n\r]/g;
      for (let length = 64 * limit + 1024; length < text.length; length *= 4) {
        whitespace.lastIndex = length;
        if (whitespace.exec(text) === null) break;
        const ids = this.contentIds(text.slice(0, whitespace.lastIndex), limit);
        if (ids.length >= limit) return ids;
      }
    }
    return this.contentIds(text, limit);
  }

  // AddedVocabulary::extract_and_normalize, then pre-tokenizer and model on every remaining piece.
  // Truncation keeps the first ids, so work stops once there are enough. Only the first piece of
  // the first raw segment starts at offset 0 of the text (Metaspace prepend_scheme `first`).
  private contentIds(text: string, limit: number): number[] {
    const ids: number[] = [];
    const rawSegments: Segment[] = [];
    this.rawSplitter.split(text, rawSegments);
    const normalizedSegments: Segment[] = [];
    const words: string[] = [];
    for (const [rawIndex, rawSegment] of rawSegments.entries()) {
      if (ids.length >= limit) break;
      if (typeof rawSegment === 'number') {
        ids.push(rawSegment);
        continue;
      }
      normalizedSegments.length = 0;
      this.normalizedSplitter.split(this.normalizer === null ? rawSegment : this.normalizer.normalize(rawSegment), normalizedSegments);
      for (const [index, segment] of normalizedSegments.entries()) {
        if (ids.length >= limit) break;
        if (typeof segment === 'number') {
          ids.push(segment);
          continue;
        }
        words.length = 0;
        if (this.preTokenizer !== null) this.preTokenizer.preTokenize(segment, words, rawIndex === 0 && index === 0);
        else words.push(segment);
        for (const word of words) {
          if (ids.length >= limit) break;
          this.model.tokenize(word, ids);
        }
      }
    }
    if (ids.length > limit) ids.length = limit;
    return ids;
  }
}

/**
 * How many content ids of A and B a pair keeps within budget: utils/truncation.rs
 * truncate_encodings, strategy LongestFirst. The shorter side keeps what fits beside the other;
 * when both are too long each gets half, the longer one (B on a tie) the odd id.
 */
function longestFirstLengths(lengthA: number, lengthB: number, budget: number): [number, number] {
  if (lengthA + lengthB <= budget) return [lengthA, lengthB];
  const swap = lengthA > lengthB;
  let shorter = swap ? lengthB : lengthA;
  let longer = shorter > budget ? shorter : Math.max(shorter, budget - shorter);
  if (shorter + longer > budget) {
    shorter = Math.floor(budget / 2);
    longer = shorter + (budget % 2);
  }
  return swap ? [longer, shorter] : [shorter, longer];
}

// AddedVocabulary::token_to_id: added tokens first, then the model's vocabulary.
function idOf(content: string, addedTokens: AddedToken[], model: TokenModel): number | undefined {
  return addedTokens.find((token) => token.content === content)?.id ?? model.vocab.get(content);
}
