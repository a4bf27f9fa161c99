// A tokenizer that cannot give Hugging Face's ids refuses to load, naming the file and what it
// found; it never falls back to something silently different.
import fs from 'node:fs';
import path from 'node:path';
import test from 'tape';
import { Tokenizer, type TokenizerFiles } from '../src/tokenizer/index.js';
import { checkpointDir } from './fixtures.js';

const SOURCE = 'models/example';

function realFiles(): Required<TokenizerFiles> {
  const dir = checkpointDir('all-MiniLM-L6-v2');
  const read = (file: string): string => fs.readFileSync(path.join(dir, file), 'utf8');
  return {
    'tokenizer.json': read('tokenizer.json'),
    'vocab.txt': read('vocab.txt'),
    'tokenizer_config.json': read('tokenizer_config.json'),
    'special_tokens_map.json': read('special_tokens_map.json'),
  };
}

function withTokenizerJson(edit: (json: Record<string, any>) => void): TokenizerFiles {
  const files = realFiles();
  const json = JSON.parse(files['tokenizer.json']) as Record<string, any>;
  edit(json);
  return { ...files, 'tokenizer.json': JSON.stringify(json) };
}

function errorOf(load: () => unknown): string {
  try {
    load();
  } catch (error) {
    return (error as Error).message;
  }
  return '(no error)';
}

function refuses(t: test.Test, files: TokenizerFiles, ...mustMention: string[]): void {
  const message = errorOf(() => Tokenizer.fromFiles(files, SOURCE));
  t.ok(
    mustMention.every((part) => message.includes(part)),
    `${mustMention.join(' + ')}: ${message}`,
  );
}

test('unsupported tokenizer.json components are refused by file and type', (t) => {
  const file = `${SOURCE}/tokenizer.json`;
  refuses(t, withTokenizerJson((json) => (json.normalizer = { type: 'Lowercase' })), file, 'normalizer type "Lowercase"');
  refuses(t, withTokenizerJson((json) => (json.normalizer = { type: 'Sequence', normalizers: [{ type: 'NFKC' }, { type: 'Strip' }] })), file,
    'normalizer.normalizers[1] type "Strip" is not supported (supported: BertNormalizer, Precompiled, Replace, NFC, NFD, NFKC, NFKD, Sequence)');
  refuses(t, withTokenizerJson((json) => (json.normalizer = { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' })), file, 'normalizer.pattern {"Regex":"\\\\s+"} is not supported');
  refuses(t, withTokenizerJson((json) => (json.pre_tokenizer = { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'sometimes' })), file,
    'pre_tokenizer.prepend_scheme should be "always", "never" or "first", found "sometimes"');
  refuses(t, withTokenizerJson((json) => (json.model = { type: 'Unigram', unk_id: 9, vocab: [['a', -1]] })), file, 'model.unk_id 9 is not an index into model.vocab (1 pieces)');
  refuses(t, withTokenizerJson((json) => (json.model = { type: 'Unigram', unk_id: 0, vocab: [['a', '-1']] })), file, 'model.vocab[0] should be [piece, score], found ["a","-1"]');
  refuses(t, withTokenizerJson((json) => (json.normalizer = { type: 'Precompiled', precompiled_charsmap: 'AAAAQA==' })), file,
    'normalizer precompiled_charsmap of 4 bytes does not hold the trie its header announces');
  refuses(t, withTokenizerJson((json) => (json.pre_tokenizer = { type: 'ByteLevel' })), file, 'pre_tokenizer type "ByteLevel"');
  refuses(t, withTokenizerJson((json) => (json.model.type = 'BPE')), file, 'model type "BPE"');
  refuses(t, withTokenizerJson((json) => (json.post_processor = { type: 'ByteLevel' })), file, 'post_processor type "ByteLevel"');
  refuses(t, withTokenizerJson((json) => (json.normalizer.lowercase = 'yes')), file, 'normalizer.lowercase');
  t.end();
});

test('broken tokenizer.json contents are refused with what was found', (t) => {
  const file = `${SOURCE}/tokenizer.json`;
  refuses(t, { ...realFiles(), 'tokenizer.json': '{"model": ' }, file, 'not valid JSON');
  refuses(t, withTokenizerJson((json) => delete json.model.vocab), file, 'model.vocab is missing');
  refuses(t, withTokenizerJson((json) => delete json.model.vocab['[UNK]']), file, 'unknown token "[UNK]"');
  refuses(t, withTokenizerJson((json) => (json.post_processor.single = [{ SpecialToken: { id: '[CLS]', type_id: 0 } }])), file, 'sequence A once');
  refuses(t, withTokenizerJson((json) => (json.post_processor.single[0].SpecialToken.id = '[BOS]')), file, '"[BOS]"');
  refuses(t, withTokenizerJson((json) => (json.added_tokens[0].id = 'zero')), file, 'added_tokens entry');
  t.end();
});

test('missing or unsupported fallback files are refused', (t) => {
  const { 'vocab.txt': vocab, 'tokenizer_config.json': config } = realFiles();
  refuses(t, { 'tokenizer_config.json': config }, SOURCE, 'no tokenizer.json and no vocab.txt');
  refuses(t, {}, SOURCE, 'no tokenizer.json and no vocab.txt');
  refuses(t, { 'vocab.txt': vocab }, SOURCE, 'no tokenizer_config.json');
  const otherClass = JSON.stringify({ ...JSON.parse(config), tokenizer_class: 'XLMRobertaTokenizer' });
  refuses(t, { 'vocab.txt': vocab, 'tokenizer_config.json': otherClass }, `${SOURCE}/tokenizer_config.json`, '"XLMRobertaTokenizer"');
  const noUnk = vocab.replace(/^\[UNK\]$/m, '[UNKNOWN]');
  refuses(t, { 'vocab.txt': noUnk, 'tokenizer_config.json': config }, `${SOURCE}/vocab.txt`, 'unknown token "[UNK]"');
  refuses(t, { 'vocab.txt': vocab, 'tokenizer_config.json': '[]' }, `${SOURCE}/tokenizer_config.json`, 'JSON object');
  t.end();
});

test('encode refuses a maxLength that cannot hold the special tokens', (t) => {
  const tokenizer = Tokenizer.fromFiles(realFiles(), SOURCE);
  t.throws(() => tokenizer.encode('hello', 1), /at least 2/, 'maxLength 1 < [CLS] + [SEP]');
  t.throws(() => tokenizer.encode('hello', 2.5), /integer/, 'fractional maxLength');
  t.equal(tokenizer.encode('hello world', 2).length, 2, 'maxLength 2 keeps only the special tokens');
  t.end();
});
