// Bad folders, files and inputs give an Error that names what is wrong, never a crash or a
// silently wrong vector; the same model loads from a folder and from bytes alike.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'tape';
import { load } from '../src/index.js';
import { checkpointDir } from './fixtures.js';

const minilm = checkpointDir('all-MiniLM-L6-v2');

const variants: string[] = [];
test.onFinish(() => variants.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** A copy of the MiniLM (or `base`) folder, weights linked, with `change` applied to it. */
function variant(change: (dir: string) => void, base = minilm): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sentvec-variant-'));
  variants.push(dir);
  for (const entry of fs.readdirSync(base, { withFileTypes: true })) {
    const from = path.join(base, entry.name);
    if (entry.name === 'model.safetensors') fs.symlinkSync(from, path.join(dir, entry.name));
    else fs.cpSync(from, path.join(dir, entry.name), { recursive: true });
  }
  change(dir);
  return dir;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function editJson(file: string, edit: (value: Record<string, any>) => void): void {
  const value = JSON.parse(fs.readFileSync(file, 'utf8'));
  edit(value);
  fs.writeFileSync(file, JSON.stringify(value));
}

async function rejects(t: test.Test, promise: Promise<unknown>, pattern: RegExp, label: string): Promise<void> {
  try {
    await promise;
    t.fail(`${label}: no error`);
  } catch (error) {
    t.match((error as Error).message, pattern, `${label}: ${(error as Error).message.split('\n')[0]}`);
  }
}

test('load refuses bad folders with the file and the problem named', async (t) => {
  await rejects(t, load('/nonexistent/model'), /model folder \/nonexistent\/model does not exist/, 'missing folder');
  await rejects(t, load(variant((dir) => fs.rmSync(path.join(dir, 'config.json')))), /config\.json: missing/, 'no config.json');
  await rejects(t, load(variant((dir) => fs.writeFileSync(path.join(dir, 'config.json'), '{oops'))), /config\.json: not valid JSON/, 'broken config.json');
  await rejects(t, load(variant((dir) => editJson(path.join(dir, 'config.json'), (c) => (c.model_type = 'gpt2')))),
    /model_type "gpt2" is not supported \(supported: bert, mpnet, xlm-roberta\)/, 'unsupported architecture');
  await rejects(t, load(variant((dir) => editJson(path.join(dir, 'config.json'), (c) => (c.hidden_act = 'relu')))),
    /hidden_act "relu" is not supported/, 'unsupported activation');
  await rejects(t, load(variant((dir) => editJson(path.join(dir, 'config.json'), (c) => (c.num_hidden_layers = 7)))),
    /encoder\.layer\.6\.attention\.self\.query\.weight/, 'a layer the checkpoint does not have');
  await rejects(t, load(variant((dir) => editJson(path.join(dir, 'config.json'), (c) => (c.intermediate_size = 1024)))),
    /encoder\.layer\.0\.intermediate\.dense\.weight.*1024/, 'a tensor of the wrong shape');
  await rejects(t, load(variant((dir) => {
    fs.rmSync(path.join(dir, 'model.safetensors'));
    fs.writeFileSync(path.join(dir, 'pytorch_model.bin'), 'not read');
  })), /no model\.safetensors \(only pytorch_model\.bin/, 'only a pickle checkpoint');
  await rejects(t, load(variant((dir) => editJson(path.join(dir, '1_Pooling', 'config.json'), (c) => (c.word_embedding_dimension = 768)))),
    /1_Pooling\/config\.json: word_embedding_dimension 768 does not match the model's hidden size 384/, 'pooling width');
  await rejects(t, load(variant((dir) => editJson(path.join(dir, 'sentence_bert_config.json'), (c) => (c.max_seq_length = 1000)))),
    /max_seq_length 1000 exceeds the 512 positions/, 'max_seq_length past the position table');
  await rejects(t, load(variant((dir) => {
    const modules = JSON.parse(fs.readFileSync(path.join(dir, 'modules.json'), 'utf8'));
    modules.push({ idx: 3, name: '3', path: '3_WordWeights', type: 'sentence_transformers.models.WordWeights' });
    fs.writeFileSync(path.join(dir, 'modules.json'), JSON.stringify(modules));
  })), /module "sentence_transformers\.models\.WordWeights" is not supported \(supported: sentence_transformers Transformer, Pooling, Dense, Normalize\)/,
  'unsupported module');
  await rejects(t, load(minilm, { backend: 'gpu' }), /unknown backend 'gpu'.*valid backends: native, wasm, js/, 'unknown backend');
  await rejects(t, load(42 as unknown as string), /must be a folder path, a repo id, a URL, or an object of files/, 'not a model');
});

test('a folder without modules.json pools like sentence-transformers: mean, no Normalize', async (t) => {
  const plain = await load(variant((dir) => fs.rmSync(path.join(dir, 'modules.json'))), { backend: 'js' });
  const full = await load(minilm, { backend: 'js' });
  const [a] = await plain.encode(['A man is playing a harp.']);
  const [b] = await full.encode(['A man is playing a harp.']);
  let norm = 0;
  for (const x of a) norm += x * x;
  t.ok(Math.abs(Math.sqrt(norm) - 1) > 1e-3, `unnormalized: |v| = ${Math.sqrt(norm).toFixed(4)}`);
  const scaled = a.map((x) => x / Math.sqrt(norm));
  t.ok(scaled.every((x, i) => Math.abs(x - b[i]) < 1e-6), 'same direction as the Normalize pipeline');
});

test('encode and similarity refuse bad input with a clear message', async (t) => {
  const model = await load(minilm, { backend: 'js' });
  await rejects(t, model.encode('one text' as unknown as string[]), /texts must be an array of strings/, 'a string, not an array');
  await rejects(t, model.encode(['ok', 7 as unknown as string]), /texts\[1\] is a number, not a string/, 'a number inside');
  await rejects(t, model.encode(['ok'], { batchSize: 0 }), /batchSize must be a positive integer, got 0/, 'batch size 0');
  t.throws(() => model.similarity(new Float32Array(3), new Float32Array(384)), /a must be a Float32Array of length 384/, 'wrong length');
  t.deepEqual(await model.encode([]), [], 'no texts, no vectors');
  const [empty, spaces] = await model.encode(['', '   ']);
  t.ok(empty.length === 384 && empty.every(Number.isFinite), 'the empty string still has a finite vector');
  t.deepEqual(Array.from(model.tokenize('')), [101, 102], 'the empty string is [CLS] [SEP]');
  t.deepEqual(Array.from(spaces), Array.from(empty), 'whitespace-only tokenizes like the empty string');
});

test('the same model from files in memory gives the same vectors as from its folder', async (t) => {
  const files: Record<string, Uint8Array | string> = {};
  for (const name of ['config.json', 'modules.json', '1_Pooling/config.json', 'sentence_bert_config.json',
    'config_sentence_transformers.json', 'tokenizer.json', 'tokenizer_config.json']) {
    files[name] = fs.readFileSync(path.join(minilm, name), 'utf8');
  }
  files['model.safetensors'] = new Uint8Array(fs.readFileSync(path.join(minilm, 'model.safetensors')));
  const texts = ['A girl is styling her hair.', 'Three men are playing chess.'];
  // native runs every source in its worker thread, the files copied there
  for (const backend of ['js', 'native']) {
    const fromBytes = await load(files, { backend });
    const fromFolder = await load(minilm, { backend });
    const [a, b] = [await fromBytes.encode(texts), await fromFolder.encode(texts)];
    t.deepEqual(a.map((v) => Array.from(v)), b.map((v) => Array.from(v)), `${backend}: identical vectors`);
    await Promise.all([fromBytes.close(), fromFolder.close()]);
  }
});

/** Settles with the promise, or rejects after `seconds`: a hang is a failure, not a stuck test. */
function within<T>(promise: Promise<T>, seconds: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${seconds} s`)), seconds * 1000);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

test('model files must be regular files: a device or a FIFO is refused at once, on every backend', async (t) => {
  const devZero = variant((dir) => {
    fs.rmSync(path.join(dir, 'model.safetensors'));
    fs.symlinkSync('/dev/zero', path.join(dir, 'model.safetensors'));
  });
  const fifo = variant((dir) => {
    fs.rmSync(path.join(dir, 'model.safetensors'));
    execFileSync('mkfifo', [path.join(dir, 'model.safetensors')]);
  });
  const fifoTokenizer = variant((dir) => {
    fs.rmSync(path.join(dir, 'tokenizer.json'));
    execFileSync('mkfifo', [path.join(dir, 'tokenizer.json')]);
  });
  for (const backend of ['native', 'wasm', 'js']) {
    await rejects(t, within(load(devZero, { backend }), 20), /model\.safetensors: not a regular file \(a character device\)/, `${backend}: /dev/zero`);
    await rejects(t, within(load(fifo, { backend }), 20), /model\.safetensors: not a regular file \(a FIFO\)/, `${backend}: a FIFO`);
    await rejects(t, within(load(fifoTokenizer, { backend }), 20), /tokenizer\.json: not a regular file \(a FIFO\)/, `${backend}: a FIFO tokenizer.json`);
  }
});

const mpnet = checkpointDir('all-mpnet-base-v2');
const editConfig = (edit: (value: Record<string, unknown>) => void, base = minilm) =>
  variant((dir) => editJson(path.join(dir, 'config.json'), edit), base);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const editTokenizer = (edit: (value: Record<string, any>) => void) =>
  variant((dir) => editJson(path.join(dir, 'tokenizer.json'), edit));

test('config and tokenizer values are checked at load: integers, sizes in range, ids inside the vocabulary', async (t) => {
  const cases: [string, string, RegExp][] = [
    ['config.json null', variant((dir) => fs.writeFileSync(path.join(dir, 'config.json'), 'null')),
      /config\.json: must be a JSON object, found null/],
    ['config.json an array', variant((dir) => fs.writeFileSync(path.join(dir, 'config.json'), '[1]')),
      /config\.json: must be a JSON object, found an array/],
    ['fractional layer count', editConfig((c) => (c.num_hidden_layers = 2.5)), /config\.json: "num_hidden_layers" must be an integer .*found 2\.5/],
    ['fractional hidden size', editConfig((c) => (c.hidden_size = 383.5)), /"hidden_size" must be an integer .*found 383\.5/],
    ['zero heads', editConfig((c) => (c.num_attention_heads = 0)), /"num_attention_heads" must be an integer .*found 0/],
    ['huge vocabulary', editConfig((c) => (c.vocab_size = 1e300)), /"vocab_size" must be an integer .*found 1e\+300/],
    ['MPNet pad id 0.5', editConfig((c) => (c.pad_token_id = 0.5), mpnet), /"pad_token_id" must be an integer .*found 0\.5/],
    ['MPNet pad id past the positions', editConfig((c) => (c.pad_token_id = 600), mpnet), /"pad_token_id" must be an integer in 0\.\.\d+, found 600/],
    ['MPNet 3 buckets', editConfig((c) => (c.relative_attention_num_buckets = 3), mpnet),
      /"relative_attention_num_buckets" must be an integer in 4\.\.\d+, found 3/],
    ['vocab id past 2^32', editTokenizer((j) => (j.model.vocab.hello = 2 ** 32 + 100)),
      /tokenizer\.json: token id 4294967396 is outside the model's vocabulary: .*config\.json vocab_size is 30522 \(token "hello"\)/],
    ['vocab id past vocab_size', editTokenizer((j) => (j.model.vocab.hello = 40000)),
      /tokenizer\.json: token id 40000 is outside the model's vocabulary: .*config\.json vocab_size is 30522/],
    ['special token id past vocab_size', editTokenizer((j) => (j.post_processor.special_tokens['[SEP]'].ids = [30522])),
      /token id 30522 is outside the model's vocabulary/],
    ['more special tokens than max_seq_length', variant((dir) => {
      editJson(path.join(dir, 'tokenizer.json'), (j) => j.post_processor.single.unshift({ SpecialToken: { id: '[CLS]', type_id: 0 } }));
      editJson(path.join(dir, 'sentence_bert_config.json'), (c) => (c.max_seq_length = 2));
    }), /sentence_bert_config\.json: max_seq_length 2 is less than the 3 special tokens the tokenizer adds/],
  ];
  for (const [label, dir, pattern] of cases) {
    for (const backend of ['native', 'js']) await rejects(t, load(dir, { backend }), pattern, `${backend}: ${label}`);
  }
});
