// Reads a Hugging Face tokenizer.json into the parts of a Tokenizer. Only what BERT-family and
// XLM-RoBERTa sentence-transformers checkpoints use is accepted; anything else is refused by
// name, never approximated. Its truncation and padding sections are ignored: sentence-transformers sets both.
import type { AddedToken } from './added-tokens.js';
import { Metaspace, type PrependScheme } from './metaspace.js';
import { BertNormalizer, NormalizerSequence, ReplaceNormalizer, UnicodeNormalizer } from './normalizer.js';
import type { Normalizer, PreTokenizer, TokenModel, TokenizerParts } from './parts.js';
import { postProcessorFromJson } from './post-processor.js';
import { PrecompiledNormalizer } from './precompiled.js';
import { BertPreTokenizer, PreTokenizerSequence, WhitespaceSplit } from './pre-tokenizer.js';
import { Unigram } from './unigram.js';
import { WordPiece } from './wordpiece.js';

type Json = Record<string, unknown>;

/** json is the parsed tokenizer.json; file names it in errors. */
export function partsFromTokenizerJson(json: Record<string, unknown>, file: string): TokenizerParts {
  return {
    normalizer: normalizerFromJson(json.normalizer, file),
    preTokenizer: preTokenizerFromJson(json.pre_tokenizer, file),
    model: modelFromJson(json.model, file),
    addedTokens: addedTokensFromJson(json.added_tokens, file),
    postProcessor: postProcessorFromJson(json.post_processor, file),
  };
}

/** The pad token tokenizer.json's own padding section names, the last place to look for one. */
export function padTokenFromTokenizerJson(json: Record<string, unknown>): string | undefined {
  const padding = json.padding as Json | null | undefined;
  return typeof padding?.pad_token === 'string' ? padding.pad_token : undefined;
}

const NORMALIZERS = ['BertNormalizer', 'Precompiled', 'Replace', 'NFC', 'NFD', 'NFKC', 'NFKD', 'Sequence'];

function normalizerFromJson(spec: unknown, file: string, field = 'normalizer'): Normalizer | null {
  if (spec === null || spec === undefined) return null;
  const normalizer = spec as Json;
  switch (normalizer.type) {
    case 'BertNormalizer':
      return bertNormalizerFromJson(normalizer, file, field);
    case 'Precompiled':
      if (typeof normalizer.precompiled_charsmap !== 'string') throw new Error(`${file}: ${field}.precompiled_charsmap should be a base64 string`);
      return new PrecompiledNormalizer(normalizer.precompiled_charsmap, file);
    case 'Replace':
      return replaceFromJson(normalizer, file, field);
    case 'NFC':
    case 'NFD':
    case 'NFKC':
    case 'NFKD':
      return new UnicodeNormalizer(normalizer.type);
    case 'Sequence':
      return new NormalizerSequence(sequenceSteps(normalizer, 'normalizers', file, field, normalizerFromJson));
    default:
      throw new Error(`${file}: ${field} type ${JSON.stringify(normalizer.type)} is not supported (supported: ${NORMALIZERS.join(', ')})`);
  }
}

/** The steps of a normalizer or pre-tokenizer Sequence, each named by its path in errors; null steps dropped. */
function sequenceSteps<T>(spec: Json, key: string, file: string, field: string, parse: (step: unknown, file: string, field: string) => T | null): T[] {
  const list = spec[key];
  if (!Array.isArray(list)) throw new Error(`${file}: ${field}.${key} should be a list`);
  return list.map((step, index) => parse(step, file, `${field}.${key}[${index}]`)).filter((step): step is T => step !== null);
}

function bertNormalizerFromJson(normalizer: Json, file: string, field: string): BertNormalizer {
  const flag = (name: string, fallback: boolean): boolean => {
    const value = normalizer[name];
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') throw new Error(`${file}: ${field}.${name} should be true or false, found ${JSON.stringify(value)}`);
    return value;
  };
  // Defaults as in normalizers/bert.rs; strip_accents null follows lowercase.
  const lowercase = flag('lowercase', true);
  const stripAccents = normalizer.strip_accents === null ? lowercase : flag('strip_accents', lowercase);
  return new BertNormalizer({
    cleanText: flag('clean_text', true),
    handleChineseChars: flag('handle_chinese_chars', true),
    stripAccents,
    lowercase,
  });
}

// normalizers/replace.rs: a literal string or a regex (onig there, JavaScript's here, so only
// patterns both read alike are accepted: those without escapes, classes, groups or lookaround).
function replaceFromJson(normalizer: Json, file: string, field: string): ReplaceNormalizer {
  const pattern = (normalizer.pattern ?? {}) as Json;
  if (typeof normalizer.content !== 'string') throw new Error(`${file}: ${field}.content should be a string`);
  if (typeof pattern.String === 'string') return new ReplaceNormalizer(pattern.String, normalizer.content);
  if (typeof pattern.Regex === 'string' && /^[^\\[\](){}|^$.*+?]*(?:[^\\[\](){}|^$.*+?](?:\{\d+,?\d*\}|[*+?]))?$/u.test(pattern.Regex)) {
    return new ReplaceNormalizer(new RegExp(pattern.Regex, 'gu'), normalizer.content);
  }
  throw new Error(`${file}: ${field}.pattern ${JSON.stringify(normalizer.pattern)} is not supported (supported: a string, or a regex of ` +
    'plain characters whose last may carry a count such as " {2,}")');
}

const PRE_TOKENIZERS = ['BertPreTokenizer', 'WhitespaceSplit', 'Metaspace', 'Sequence'];

function preTokenizerFromJson(spec: unknown, file: string, field = 'pre_tokenizer'): PreTokenizer | null {
  if (spec === null || spec === undefined) return null;
  const preTokenizer = spec as Json;
  switch (preTokenizer.type) {
    case 'BertPreTokenizer':
      return new BertPreTokenizer();
    case 'WhitespaceSplit':
      return new WhitespaceSplit();
    case 'Metaspace':
      return metaspaceFromJson(preTokenizer, file, field);
    case 'Sequence':
      return new PreTokenizerSequence(sequenceSteps(preTokenizer, 'pretokenizers', file, field, preTokenizerFromJson));
    default:
      throw new Error(`${file}: ${field} type ${JSON.stringify(preTokenizer.type)} is not supported (supported: ${PRE_TOKENIZERS.join(', ')})`);
  }
}

// Older files have add_prefix_space instead of prepend_scheme (true: always); split defaults to true.
function metaspaceFromJson(spec: Json, file: string, field: string): Metaspace {
  const replacement = spec.replacement ?? '\u2581';
  if (typeof replacement !== 'string' || [...replacement].length !== 1) {
    throw new Error(`${file}: ${field}.replacement should be one character, found ${JSON.stringify(spec.replacement)}`);
  }
  let scheme: unknown = spec.prepend_scheme;
  if (scheme === undefined) scheme = spec.add_prefix_space === false ? 'never' : 'always';
  if (scheme !== 'always' && scheme !== 'never' && scheme !== 'first') {
    throw new Error(`${file}: ${field}.prepend_scheme should be "always", "never" or "first", found ${JSON.stringify(scheme)}`);
  }
  if (spec.split !== undefined && typeof spec.split !== 'boolean') throw new Error(`${file}: ${field}.split should be true or false`);
  return new Metaspace(replacement, scheme as PrependScheme, spec.split !== false);
}

function modelFromJson(spec: unknown, file: string): TokenModel {
  const model = (spec ?? {}) as Json;
  switch (model.type) {
    case 'WordPiece':
      return wordPieceFromJson(model, file);
    case 'Unigram':
      return unigramFromJson(model, file);
    default:
      throw new Error(`${file}: model type ${JSON.stringify(model.type)} is not supported (supported: WordPiece, Unigram)`);
  }
}

function unigramFromJson(model: Json, file: string): Unigram {
  if (!Array.isArray(model.vocab)) throw new Error(`${file}: model.vocab should be a list of [piece, score]`);
  const pieces = model.vocab as unknown[];
  pieces.forEach((entry, id) => {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string' || typeof entry[1] !== 'number') {
      throw new Error(`${file}: model.vocab[${id}] should be [piece, score], found ${JSON.stringify(entry)}`);
    }
  });
  const unkId = model.unk_id ?? null;
  if (unkId !== null && !(Number.isInteger(unkId) && (unkId as number) >= 0 && (unkId as number) < pieces.length)) {
    throw new Error(`${file}: model.unk_id ${JSON.stringify(unkId)} is not an index into model.vocab (${pieces.length} pieces)`);
  }
  return new Unigram({ pieces: pieces as [string, number][], unkId: unkId as number | null, byteFallback: model.byte_fallback === true }, file);
}

function wordPieceFromJson(model: Json, file: string): WordPiece {
  if (typeof model.vocab !== 'object' || model.vocab === null) throw new Error(`${file}: model.vocab is missing`);
  const vocab = new Map<string, number>();
  const ids = model.vocab as Record<string, unknown>;
  // for-in, not Object.entries: a pair array per token grows the heap by 10 MB for a 30,522-token vocab
  for (const token in ids) {
    const id = ids[token];
    if (!Number.isInteger(id)) throw new Error(`${file}: model.vocab[${JSON.stringify(token)}] should be an integer id, found ${JSON.stringify(id)}`);
    vocab.set(token, id as number);
  }
  return new WordPiece(
    {
      vocab,
      unkToken: typeof model.unk_token === 'string' ? model.unk_token : '[UNK]',
      continuingSubwordPrefix: typeof model.continuing_subword_prefix === 'string' ? model.continuing_subword_prefix : '##',
      maxInputCharsPerWord: Number.isInteger(model.max_input_chars_per_word) ? (model.max_input_chars_per_word as number) : 100,
    },
    file,
  );
}

function addedTokensFromJson(spec: unknown, file: string): AddedToken[] {
  if (spec === undefined || spec === null) return [];
  if (!Array.isArray(spec)) throw new Error(`${file}: added_tokens should be a list, found ${JSON.stringify(spec)}`);
  return spec.map((entry: Json) => {
    if (typeof entry.content !== 'string' || !Number.isInteger(entry.id)) {
      throw new Error(`${file}: added_tokens entry ${JSON.stringify(entry)} needs a string content and an integer id`);
    }
    return {
      id: entry.id as number,
      content: entry.content,
      singleWord: entry.single_word === true,
      lstrip: entry.lstrip === true,
      rstrip: entry.rstrip === true,
      // AddedToken's serde default is normalized: true.
      normalized: entry.normalized !== false,
    };
  });
}
