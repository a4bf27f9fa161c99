// Reads a Hugging Face tokenizer.json into the parts of a Tokenizer. Only what BERT-family
// sentence-transformers checkpoints use is accepted; anything else is refused by name, never
// approximated. Its truncation and padding sections are ignored: sentence-transformers sets both.
import type { AddedToken } from './added-tokens.js';
import { BertNormalizer } from './normalizer.js';
import { postProcessorFromJson } from './post-processor.js';
import type { TokenizerParts } from './parts.js';
import { WordPiece } from './wordpiece.js';

type Json = Record<string, unknown>;

/** json is the parsed tokenizer.json; file names it in errors. */
export function partsFromTokenizerJson(json: Record<string, unknown>, file: string): TokenizerParts {
  return {
    normalizer: normalizerFromJson(json.normalizer, file),
    preTokenizer: preTokenizerFromJson(json.pre_tokenizer, file),
    wordPiece: wordPieceFromJson(json.model, file),
    addedTokens: addedTokensFromJson(json.added_tokens, file),
    postProcessor: postProcessorFromJson(json.post_processor, file),
  };
}

/** The pad token tokenizer.json's own padding section names, the last place to look for one. */
export function padTokenFromTokenizerJson(json: Record<string, unknown>): string | undefined {
  const padding = json.padding as Json | null | undefined;
  return typeof padding?.pad_token === 'string' ? padding.pad_token : undefined;
}

function normalizerFromJson(spec: unknown, file: string): BertNormalizer | null {
  if (spec === null || spec === undefined) return null;
  const normalizer = spec as Json;
  if (normalizer.type !== 'BertNormalizer') {
    throw new Error(`${file}: normalizer type ${JSON.stringify(normalizer.type)} is not supported (supported: BertNormalizer)`);
  }
  const flag = (name: string, fallback: boolean): boolean => {
    const value = normalizer[name];
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') throw new Error(`${file}: normalizer.${name} should be true or false, found ${JSON.stringify(value)}`);
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

function preTokenizerFromJson(spec: unknown, file: string): TokenizerParts['preTokenizer'] {
  if (spec === null || spec === undefined) return null;
  const type = (spec as Json).type;
  if (type !== 'BertPreTokenizer') {
    throw new Error(`${file}: pre_tokenizer type ${JSON.stringify(type)} is not supported (supported: BertPreTokenizer)`);
  }
  return 'BertPreTokenizer';
}

function wordPieceFromJson(spec: unknown, file: string): WordPiece {
  const model = (spec ?? {}) as Json;
  if (model.type !== 'WordPiece') {
    throw new Error(`${file}: model type ${JSON.stringify(model.type)} is not supported (supported: WordPiece)`);
  }
  if (typeof model.vocab !== 'object' || model.vocab === null) throw new Error(`${file}: model.vocab is missing`);
  const vocab = new Map<string, number>();
  for (const [token, id] of Object.entries(model.vocab as Record<string, unknown>)) {
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
