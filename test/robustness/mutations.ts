// The mutation corpus of the robustness suite: targeted cases for every failure of issue #18
// and a seeded random fuzzer over the safetensors header. A case is a change to the files of a
// model folder; the suite expects each to give a clean error naming the file, or vectors
// identical to the unchanged model's.

/** A model folder's files by relative path; `special` entries are made as such on disk. */
export type ModelFiles = Map<string, Uint8Array | { special: 'fifo' | 'devzero' | 'folder' }>;

export interface Mutation {
  name: string;
  /** Returns the changed files (the input is not modified). */
  apply(files: ModelFiles): ModelFiles;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

type Json = any;  // eslint-disable-line @typescript-eslint/no-explicit-any

function bytesOf(files: ModelFiles, name: string): Uint8Array {
  const value = files.get(name);
  if (!(value instanceof Uint8Array)) throw new Error(`${name} is not a plain file in the corpus base`);
  return value;
}

function withFile(files: ModelFiles, name: string, value: Uint8Array | { special: 'fifo' | 'devzero' | 'folder' } | undefined): ModelFiles {
  const changed = new Map(files);
  if (value === undefined) changed.delete(name);
  else changed.set(name, value);
  return changed;
}

const editJson = (name: string, edit: (json: Json) => Json) => (files: ModelFiles) =>
  withFile(files, name, encoder.encode(JSON.stringify(edit(JSON.parse(decoder.decode(bytesOf(files, name)))) ?? null)));
const replaceText = (name: string, text: string) => (files: ModelFiles) => withFile(files, name, encoder.encode(text));

/** The safetensors file split into its header (parsed) and data section. */
export function splitSafetensors(bytes: Uint8Array): { header: Json; data: Uint8Array } {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  return { header: JSON.parse(decoder.decode(bytes.subarray(8, 8 + length))), data: bytes.subarray(8 + length) };
}

/** A safetensors file from a header (object or raw text) and data, the length prefix optionally off by `lengthDelta`. */
export function joinSafetensors(header: Json | string, data: Uint8Array, lengthDelta = 0): Uint8Array {
  const json = encoder.encode(typeof header === 'string' ? header : JSON.stringify(header));
  const padded = new Uint8Array(Math.ceil(json.length / 8) * 8).fill(0x20);
  padded.set(json);
  const file = new Uint8Array(8 + padded.length + data.length);
  new DataView(file.buffer).setBigUint64(0, BigInt(Math.max(0, padded.length + lengthDelta)), true);
  file.set(padded, 8);
  file.set(data, 8 + padded.length);
  return file;
}

const WEIGHTS = 'model.safetensors';
const editHeader = (edit: (header: Json) => void) => (files: ModelFiles) => {
  const { header, data } = splitSafetensors(bytesOf(files, WEIGHTS));
  edit(header);
  return withFile(files, WEIGHTS, joinSafetensors(header, data));
};
const editWeights = (edit: (bytes: Uint8Array) => Uint8Array) => (files: ModelFiles) =>
  withFile(files, WEIGHTS, edit(bytesOf(files, WEIGHTS).slice()));

/** `value` over the first float (or all) of tensor `name`. */
const poison = (name: string, value: number, whole = false) => editWeights((bytes) => {
  const { header } = splitSafetensors(bytes);
  const start = 8 + Number(new DataView(bytes.buffer, 0, 8).getBigUint64(0, true)) + header[name].data_offsets[0];
  const end = whole ? 8 + Number(new DataView(bytes.buffer, 0, 8).getBigUint64(0, true)) + header[name].data_offsets[1] : start + 4;
  const view = new DataView(bytes.buffer);
  for (let at = start; at < end; at += 4) view.setFloat32(at, value, true);
  return bytes;
});

const QUERY = 'encoder.layer.0.attention.self.query.weight';

/** One case per failure of issue #18, and the other ways a folder commonly breaks. */
export function targetedMutations(): Mutation[] {
  const cases: [string, (files: ModelFiles) => ModelFiles][] = [
    // 2. malformed safetensors
    ...[1, 2, 3, 4, 5, 6, 7, 8, 9, 16].map((short): [string, (files: ModelFiles) => ModelFiles] =>
      [`header length ${short} bytes short`, editWeights((bytes) => {
        const view = new DataView(bytes.buffer);
        view.setBigUint64(0, view.getBigUint64(0, true) - BigInt(short), true);
        return bytes;
      })]),
    ['header length 8 bytes long', editWeights((bytes) => {
      const view = new DataView(bytes.buffer);
      view.setBigUint64(0, view.getBigUint64(0, true) + 8n, true);
      return bytes;
    })],
    ['header length 2^63', editWeights((bytes) => (new DataView(bytes.buffer).setBigUint64(0, 2n ** 63n, true), bytes))],
    ['trailing bytes', editWeights((bytes) => concat(bytes, new Uint8Array(3)))],
    ['truncated by one byte', editWeights((bytes) => bytes.subarray(0, bytes.length - 1))],
    ['truncated to half', editWeights((bytes) => bytes.subarray(0, bytes.length >> 1))],
    ['truncated to 7 bytes', editWeights((bytes) => bytes.subarray(0, 7))],
    ['empty weights file', editWeights(() => new Uint8Array(0))],
    ['header not JSON', editWeights((bytes) => joinSafetensors('{"a": ', splitSafetensors(bytes).data))],
    ['header an array', editWeights((bytes) => joinSafetensors('[]', splitSafetensors(bytes).data))],
    ['header null', editWeights((bytes) => joinSafetensors('null', splitSafetensors(bytes).data))],
    ['__metadata__ deeply nested', editWeights((bytes) => {
      const { header, data } = splitSafetensors(bytes);
      delete header.__metadata__;
      const nested = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
      return joinSafetensors(`{"__metadata__": {"format": ${nested}}, ${JSON.stringify(header).slice(1)}`, data);
    })],
    ['__metadata__ a number', editHeader((header) => (header.__metadata__ = 5))],
    ['a gap between tensors', editHeader((header) => (header[QUERY].data_offsets = header[QUERY].data_offsets.map((x: number) => x + 4)))],
    ['two tensors swapped in the data section, offsets kept', editHeader((header) => {
      const key = 'encoder.layer.0.attention.self.key.weight';
      [header[QUERY].data_offsets, header[key].data_offsets] = [header[key].data_offsets, header[QUERY].data_offsets];
      header[QUERY].shape = [384, 385];
    })],
    ['a tensor deleted', editHeader((header) => delete header[QUERY])],
    ['dtype F32 → F16', editHeader((header) => (header[QUERY].dtype = 'F16'))],
    ['dtype F32 → I32', editHeader((header) => (header[QUERY].dtype = 'I32'))],
    ['shape transposed wrongly', editHeader((header) => (header['encoder.layer.0.intermediate.dense.weight'].shape = [384, 1536]))],
    ['offsets as strings', editHeader((header) => (header[QUERY].data_offsets = header[QUERY].data_offsets.map(String)))],
    // 3. non-finite and overflowing weights
    ['NaN weight', poison(QUERY, Number.NaN)],
    ['+inf weight', poison('embeddings.LayerNorm.weight', Number.POSITIVE_INFINITY)],
    ['-inf bias', poison('encoder.layer.5.output.dense.bias', Number.NEGATIVE_INFINITY)],
    ['NaN word embedding', poison('embeddings.word_embeddings.weight', Number.NaN)],
    ['1e38 over a whole tensor', poison(QUERY, 1e38, true)],
    // 4. not a regular file
    ['weights a symlink to /dev/zero', (files) => withFile(files, WEIGHTS, { special: 'devzero' })],
    ['weights a FIFO', (files) => withFile(files, WEIGHTS, { special: 'fifo' })],
    ['weights a folder', (files) => withFile(files, WEIGHTS, { special: 'folder' })],
    ['tokenizer.json a FIFO', (files) => withFile(files, 'tokenizer.json', { special: 'fifo' })],
    ['weights missing', (files) => withFile(files, WEIGHTS, undefined)],
    // 5. config and tokenizer values
    ['config.json null', replaceText('config.json', 'null')],
    ['config.json not JSON', replaceText('config.json', '{"hidden_size": 38')],
    ['num_hidden_layers 2.5', editJson('config.json', (c) => ({ ...c, num_hidden_layers: 2.5 }))],
    ['num_hidden_layers 7', editJson('config.json', (c) => ({ ...c, num_hidden_layers: 7 }))],
    ['num_attention_heads 5', editJson('config.json', (c) => ({ ...c, num_attention_heads: 5 }))],
    ['num_attention_heads "12"', editJson('config.json', (c) => ({ ...c, num_attention_heads: '12' }))],
    ['hidden_size 1e300', editJson('config.json', (c) => ({ ...c, hidden_size: 1e300 }))],
    ['vocab_size 30000', editJson('config.json', (c) => ({ ...c, vocab_size: 30000 }))],
    ['layer_norm_eps 0', editJson('config.json', (c) => ({ ...c, layer_norm_eps: 0 }))],
    ['layer_norm_eps "x"', editJson('config.json', (c) => ({ ...c, layer_norm_eps: 'x' }))],
    ['model_type gpt2', editJson('config.json', (c) => ({ ...c, model_type: 'gpt2' }))],
    ['vocab id 2^32 + 100', editJson('tokenizer.json', (j) => ((j.model.vocab.hello = 2 ** 32 + 100), j))],
    ['vocab id past vocab_size', editJson('tokenizer.json', (j) => ((j.model.vocab.hello = 30522), j))],
    ['vocab id negative', editJson('tokenizer.json', (j) => ((j.model.vocab.hello = -1), j))],
    ['special token id past vocab_size', editJson('tokenizer.json', (j) => ((j.post_processor.special_tokens['[SEP]'].ids = [99999]), j))],
    ['tokenizer.json null', replaceText('tokenizer.json', 'null')],
    ['tokenizer.json truncated', (files) => withFile(files, 'tokenizer.json', bytesOf(files, 'tokenizer.json').subarray(0, 1000))],
    ['unknown token not in the vocabulary', editJson('tokenizer.json', (j) => ((j.model.unk_token = '[NOPE]'), j))],
    ['max_seq_length 1', editJson('sentence_bert_config.json', (c) => ({ ...c, max_seq_length: 1 }))],
    ['max_seq_length 1e9', editJson('sentence_bert_config.json', (c) => ({ ...c, max_seq_length: 1e9 }))],
    // 6. paths out of the folder
    ['Pooling path ../../../../tmp/x', editJson('modules.json', (m) => m.map((e: Json) => (e.type.endsWith('Pooling') ? { ...e, path: '../../../../tmp/x' } : e)))],
    ['Pooling path http://other-host/x', editJson('modules.json', (m) => m.map((e: Json) => (e.type.endsWith('Pooling') ? { ...e, path: 'http://127.0.0.1:9/x' } : e)))],
    ['Pooling path //other-host/x', editJson('modules.json', (m) => m.map((e: Json) => (e.type.endsWith('Pooling') ? { ...e, path: '//127.0.0.1:9/x' } : e)))],
    ['Pooling path absolute', editJson('modules.json', (m) => m.map((e: Json) => (e.type.endsWith('Pooling') ? { ...e, path: '/etc' } : e)))],
    ['Pooling config null', replaceText('1_Pooling/config.json', 'null')],
    ['modules.json an object', replaceText('modules.json', '{}')],
    // changes that must leave the vectors as they are
    ['__metadata__ changed', editHeader((header) => (header.__metadata__ = { format: 'pt', note: 'x' }))],
    ['header re-serialized with other key order', editHeader((header) => {
      const entries = Object.entries(header).reverse();
      for (const key of Object.keys(header)) delete header[key];
      Object.assign(header, Object.fromEntries(entries));
    })],
    ['unused I64 tensor retyped', editHeader((header) => {
      if (header['embeddings.position_ids']) header['embeddings.position_ids'].dtype = 'U64';
    })],
  ];
  return cases.map(([name, apply]) => ({ name, apply }));
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** mulberry32: a small seeded generator, so every fuzz case can be replayed by its number. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HEADER_CHARS = '0123456789{}[]":,.-+eE FIUBx_\\\u00ff\u0000';

/** Case `index` of the header fuzzer under `seed`: one random change to model.safetensors's header or framing. */
export function fuzzMutation(seed: number, index: number): Mutation {
  const next = random(seed * 1_000_003 + index);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  const kind = pick(['byte', 'byte', 'byte', 'length', 'truncate', 'append', 'field', 'field'] as const);
  const name = `fuzz ${seed}/${index}: ${kind}`;
  return {
    name,
    apply: editWeights((bytes) => {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const headerLength = Number(view.getBigUint64(0, true));
      switch (kind) {
        case 'byte': {
          bytes[8 + Math.floor(next() * headerLength)] = pick([...HEADER_CHARS]).charCodeAt(0) & 0xff;
          return bytes;
        }
        case 'length':
          view.setBigUint64(0, BigInt(Math.max(0, headerLength + pick([-1, 1]) * (1 + Math.floor(next() * 64)))), true);
          return bytes;
        case 'truncate':
          return bytes.subarray(0, Math.floor(next() * bytes.length));
        case 'append':
          return concat(bytes, new Uint8Array(1 + Math.floor(next() * 64)));
        case 'field': {
          const { header, data } = splitSafetensors(bytes);
          const names = Object.keys(header).filter((key) => key !== '__metadata__');
          const entry = header[pick(names)];
          const field = pick(['begin', 'end', 'dim', 'dtype', 'rank', 'delete'] as const);
          const delta = pick([-8, -4, -1, 1, 4, 8, 4096, -4096]);
          if (field === 'begin') entry.data_offsets[0] += delta;
          if (field === 'end') entry.data_offsets[1] += delta;
          if (field === 'dim' && entry.shape.length > 0) entry.shape[Math.floor(next() * entry.shape.length)] += pick([-1, 1]);
          if (field === 'dtype') entry.dtype = pick(['F16', 'BF16', 'I32', 'U32', 'F64', 'I8', 'F8_E4M3', 'Q4']);
          if (field === 'rank') entry.shape = [entry.shape.reduce((a: number, b: number) => a * b, 1)];
          if (field === 'delete') delete header[pick(names)];
          return joinSafetensors(header, data);
        }
      }
    }),
  };
}
