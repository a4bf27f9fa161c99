// The tokenizer transformers builds when a checkpoint has no tokenizer.json: vocab.txt plus
// tokenizer_config.json, as BertTokenizer (models/bert/tokenization_bert.py) and MPNetTokenizer
// (models/mpnet/tokenization_mpnet.py) assemble it: BertNormalizer, BertPreTokenizer, WordPiece,
// the special tokens as non-normalized added tokens, and `[CLS] A [SEP] B [SEP]` or `<s> A </s></s> B </s>`.
import type { AddedToken } from './added-tokens.js';
import { BertNormalizer } from './normalizer.js';
import type { TokenizerParts } from './parts.js';
import { type PostProcessor, bertPostProcessor, robertaPostProcessor } from './post-processor.js';
import { type SpecialTokenName, type TokenizerConfigs, specialTokenValue } from './special-tokens.js';
import { WordPiece } from './wordpiece.js';

interface TokenizerClass {
  defaults: Partial<Record<SpecialTokenName, string>>;
  /** MPNetTokenizer.__init__ makes a plain-string mask token lstrip */
  maskLstrip: boolean;
  /** build_inputs_with_special_tokens / create_token_type_ids_from_sequences of the class */
  postProcessor: (cls: number, sep: number) => PostProcessor;
}

const BERT: TokenizerClass = {
  defaults: { unk_token: '[UNK]', sep_token: '[SEP]', pad_token: '[PAD]', cls_token: '[CLS]', mask_token: '[MASK]' },
  maskLstrip: false,
  postProcessor: bertPostProcessor,
};
const MPNET: TokenizerClass = {
  defaults: { bos_token: '<s>', eos_token: '</s>', sep_token: '</s>', cls_token: '<s>', unk_token: '[UNK]', pad_token: '<pad>', mask_token: '<mask>' },
  maskLstrip: true,
  postProcessor: robertaPostProcessor,
};
const TOKENIZER_CLASSES: Record<string, TokenizerClass> = {
  BertTokenizer: BERT,
  BertTokenizerFast: BERT,
  MPNetTokenizer: MPNET,
  MPNetTokenizerFast: MPNET,
};

const SPECIAL_TOKEN_NAMES: SpecialTokenName[] = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'];

/** transformers' load_vocab: one token a line, the line number is the id. */
export function parseVocabTxt(text: string): Map<string, number> {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const vocab = new Map<string, number>();
  lines.forEach((token, id) => vocab.set(token, id));
  return vocab;
}

export function partsFromVocabTxt(vocabText: string, configs: TokenizerConfigs, source: string): TokenizerParts {
  const configFile = `${source}/tokenizer_config.json`;
  const className = configs.config.tokenizer_class;
  const tokenizerClass = typeof className === 'string' ? TOKENIZER_CLASSES[className] : undefined;
  if (tokenizerClass === undefined) {
    throw new Error(
      `${configFile}: tokenizer_class ${JSON.stringify(className)} is not supported without a tokenizer.json (supported: ${Object.keys(TOKENIZER_CLASSES).join(', ')})`,
    );
  }
  const flag = (name: string, fallback: boolean): boolean => {
    const value = configs.config[name];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'boolean') throw new Error(`${configFile}: ${name} should be true, false or null, found ${JSON.stringify(value)}`);
    return value;
  };
  const lowercase = flag('do_lower_case', true);
  const normalizer = new BertNormalizer({
    cleanText: true,
    handleChineseChars: flag('tokenize_chinese_chars', true),
    stripAccents: flag('strip_accents', lowercase),
    lowercase,
  });

  const vocab = parseVocabTxt(vocabText);
  const addedTokens = addedTokensFromConfig(configs, vocab, configFile);
  let nextId = Math.max(vocab.size, ...addedTokens.map((token) => token.id + 1));
  const special = new Map<SpecialTokenName, AddedToken>();
  for (const name of SPECIAL_TOKEN_NAMES) {
    const value = specialTokenValue(configs, name, source) ?? (tokenizerClass.defaults[name] !== undefined ? { content: tokenizerClass.defaults[name]! } : undefined);
    if (value === undefined) continue;
    let token = addedTokens.find((added) => added.content === value.content);
    if (token === undefined) {
      const flags = value.flags ?? { singleWord: false, lstrip: name === 'mask_token' && tokenizerClass.maskLstrip, rstrip: false, normalized: false };
      // A special token missing from the vocabulary gets the next free id, as AddedVocabulary::add_tokens does.
      token = { id: vocab.get(value.content) ?? nextId++, content: value.content, ...flags };
      addedTokens.push(token);
    }
    special.set(name, token);
  }
  const cls = special.get('cls_token');
  const sep = special.get('sep_token');
  if (cls === undefined || sep === undefined) throw new Error(`${configFile}: the tokenizer needs both a cls_token and a sep_token`);
  const unk = special.get('unk_token');
  if (unk === undefined) throw new Error(`${configFile}: the tokenizer needs an unk_token`);

  return {
    normalizer,
    preTokenizer: 'BertPreTokenizer',
    wordPiece: new WordPiece({ vocab, unkToken: unk.content, continuingSubwordPrefix: '##', maxInputCharsPerWord: 100 }, `${source}/vocab.txt`),
    addedTokens,
    postProcessor: tokenizerClass.postProcessor(cls.id, sep.id),
  };
}

// Newer tokenizer_config.json files list every added token with its id and flags.
function addedTokensFromConfig(configs: TokenizerConfigs, vocab: Map<string, number>, configFile: string): AddedToken[] {
  const decoder = configs.config.added_tokens_decoder;
  if (decoder === undefined || decoder === null) return [];
  if (typeof decoder !== 'object') throw new Error(`${configFile}: added_tokens_decoder should be an object, found ${JSON.stringify(decoder)}`);
  return Object.entries(decoder as Record<string, Record<string, unknown>>).map(([idText, entry]) => {
    const id = Number(idText);
    if (!Number.isInteger(id) || typeof entry.content !== 'string') {
      throw new Error(`${configFile}: added_tokens_decoder entry ${idText} needs an integer id and a string content`);
    }
    const vocabId = vocab.get(entry.content);
    if (vocabId !== undefined && vocabId !== id) {
      throw new Error(`${configFile}: added token ${JSON.stringify(entry.content)} has id ${id}, but vocab.txt gives it ${vocabId}`);
    }
    return {
      id,
      content: entry.content,
      singleWord: entry.single_word === true,
      lstrip: entry.lstrip === true,
      rstrip: entry.rstrip === true,
      normalized: entry.normalized === true,
    };
  });
}
