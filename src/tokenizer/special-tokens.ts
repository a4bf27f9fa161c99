// Special tokens as transformers reads them from tokenizer_config.json and
// special_tokens_map.json (PreTrainedTokenizerBase._from_pretrained: a value in
// special_tokens_map.json wins over the one in tokenizer_config.json).

import { parseJsonText } from '../json.js';

type Json = Record<string, unknown>;

export interface TokenizerConfigs {
  /** tokenizer_config.json, {} when absent */
  config: Json;
  /** special_tokens_map.json, {} when absent */
  specialTokensMap: Json;
}

export type SpecialTokenName = 'bos_token' | 'eos_token' | 'unk_token' | 'sep_token' | 'pad_token' | 'cls_token' | 'mask_token';

/** A special token's text and, when the files give them as a dict, its matching flags. */
export interface SpecialTokenValue {
  content: string;
  flags?: { singleWord: boolean; lstrip: boolean; rstrip: boolean; normalized: boolean };
}

export function parseJsonFile(text: string | undefined, file: string): Json {
  if (text === undefined) return {};
  const json = parseJsonText(text, file);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error(`${file}: should hold a JSON object`);
  return json as Json;
}

export function specialTokenValue(configs: TokenizerConfigs, name: SpecialTokenName, source: string): SpecialTokenValue | undefined {
  const fromMap = configs.specialTokensMap[name];
  const value = fromMap ?? configs.config[name];
  const file = fromMap !== undefined ? 'special_tokens_map.json' : 'tokenizer_config.json';
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return { content: value };
  const token = value as Json;
  if (typeof value !== 'object' || typeof token.content !== 'string') {
    throw new Error(`${source}/${file}: ${name} should be a string or an object with a string content, found ${JSON.stringify(value)}`);
  }
  // AddedToken(**value, special=True): normalized defaults to `not special`.
  return {
    content: token.content,
    flags: { singleWord: token.single_word === true, lstrip: token.lstrip === true, rstrip: token.rstrip === true, normalized: token.normalized === true },
  };
}
