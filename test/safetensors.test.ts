// The safetensors reader on hand-built files (every dtype conversion and every validation
// failure) and on the real checkpoints, against what the Python safetensors library reads
// (goldens from test/goldens/make_safetensors_goldens.py).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'tape';
import { Checkpoint, decodeFloat32, parseSafetensors, SafetensorsError, SafetensorsFile, shardFiles } from '../src/safetensors.js';
import { checkpointDir, goldensDir } from './fixtures.js';

// ---- a tiny safetensors writer -------------------------------------------------------------

interface TensorSpec {
  dtype: string;
  shape: number[];
  data: Uint8Array;
}

/** A file from a header (object, or raw text to write malformed JSON) and its data section. */
function rawSafetensors(header: unknown, data: Uint8Array, declaredLength?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  // Pad with spaces to a multiple of 8, as the reference writer does, so data starts aligned.
  const headerBytes = new Uint8Array(Math.ceil(json.length / 8) * 8).fill(0x20);
  headerBytes.set(json);
  const file = new Uint8Array(8 + headerBytes.length + data.length);
  new DataView(file.buffer).setBigUint64(0, declaredLength ?? BigInt(headerBytes.length), true);
  file.set(headerBytes, 8);
  file.set(data, 8 + headerBytes.length);
  return file;
}

/** Lays the tensors out back to back in the order given. */
function writeSafetensors(tensors: Record<string, TensorSpec>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  let offset = 0;
  for (const [name, { dtype, shape, data }] of Object.entries(tensors)) {
    header[name] = { dtype, shape, data_offsets: [offset, offset + data.length] };
    offset += data.length;
  }
  const data = new Uint8Array(offset);
  offset = 0;
  for (const tensor of Object.values(tensors)) {
    data.set(tensor.data, offset);
    offset += tensor.data.length;
  }
  return rawSafetensors(header, data);
}

function f32Bytes(...values: number[]): Uint8Array {
  const bytes = new Uint8Array(4 * values.length);
  const view = new DataView(bytes.buffer);
  values.forEach((value, i) => view.setFloat32(4 * i, value, true));
  return bytes;
}

function u16Bytes(...words: number[]): Uint8Array {
  const bytes = new Uint8Array(2 * words.length);
  const view = new DataView(bytes.buffer);
  words.forEach((word, i) => view.setUint16(2 * i, word, true));
  return bytes;
}

const f32 = (name: string, shape: number[], ...values: number[]) => ({ [name]: { dtype: 'F32', shape, data: f32Bytes(...values) } });

function throwsSafetensorsError(t: test.Test, run: () => unknown, mentions: string[], label: string) {
  try {
    run();
    t.fail(`${label}: did not throw`);
  } catch (error) {
    const message = (error as Error).message;
    t.ok(error instanceof SafetensorsError && mentions.every((part) => message.includes(part)),
      `${label}: ${message}`);
  }
}

function tensorBytes(files: SafetensorsFile[], name: string): Buffer {
  const file = files.find((candidate) => candidate.tensors.has(name))!;
  const { begin, end } = file.tensors.get(name)!;
  return Buffer.from(file.bytes.buffer, file.bytes.byteOffset + begin, end - begin);
}

const sameBits = (a: Float32Array, b: Float32Array) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

// ---- hand-built files ------------------------------------------------------------------------

test('header, __metadata__ and tensor spans are read; F32 values are a copy the caller owns', (t) => {
  const bytes = writeSafetensors({ ...f32('a', [2, 2], 1, 2, 3, 4), ...f32('b', [], 5) }, { format: 'pt', note: 'x' });
  const parsed = parseSafetensors(bytes, 'tiny.safetensors');
  t.deepEqual(parsed.metadata, { format: 'pt', note: 'x' }, '__metadata__');
  t.deepEqual([...parsed.tensors.keys()], ['a', 'b'], 'tensor names, __metadata__ excluded');
  const a = parsed.tensors.get('a')!;
  const dataStart = bytes.length - 20;
  t.deepEqual(a, { name: 'a', dtype: 'F32', shape: [2, 2], file: 'tiny.safetensors', begin: dataStart, end: dataStart + 16 },
    'begin/end are absolute within the file');

  const checkpoint = new Checkpoint([parsed]);
  const values = checkpoint.float32('a', [2, 2]);
  t.deepEqual([...values], [1, 2, 3, 4], 'values');
  t.notEqual(values.buffer, bytes.buffer, 'not a view of the file bytes');
  t.deepEqual([...checkpoint.float32('b', [])], [5], 'a scalar has shape []');

  // Still aligned when the file itself sits at a 4-byte offset inside a larger buffer.
  const outer = new Uint8Array(bytes.length + 4);
  outer.set(bytes, 4);
  const shifted = new Checkpoint([parseSafetensors(outer.subarray(4), 'tiny.safetensors')]).float32('a', [2, 2]);
  t.deepEqual([...shifted], [1, 2, 3, 4], 'values at an offset');
  bytes.fill(0, dataStart, dataStart + 16);
  t.deepEqual([...values], [1, 2, 3, 4], 'unchanged when the file bytes change afterwards');
  t.end();
});

test('misaligned F32 is copied, with the same values', (t) => {
  const values = [1.5, -2.25, 3.0e-38, 7, -3.4e38];
  const bytes = writeSafetensors(f32('w', [5], ...values));
  for (const shift of [1, 2, 3]) {
    const outer = new Uint8Array(bytes.length + shift);
    outer.set(bytes, shift);
    const found = new Checkpoint([parseSafetensors(outer.subarray(shift), 'odd.safetensors')]).float32('w', [5]);
    t.notEqual(found.buffer, outer.buffer, `shift ${shift}: a copy`);
    t.deepEqual([...found], values.map(Math.fround), `shift ${shift}: values`);
  }
  t.end();
});

test('a large F32 copy tells of its bytes a chunk at a time as it goes, then of the whole tensor', (t) => {
  const count = (5 << 20) + 3;  // five 4 MiB chunks and a few floats
  const values = new Float32Array(count).map((_, i) => i % 1000 - 500);
  const bytes = writeSafetensors({ w: { dtype: 'F32', shape: [count], data: new Uint8Array(values.buffer) } });
  const parsed = parseSafetensors(bytes, 'large.safetensors');
  const told: [number, number][] = [];
  const copy = new Checkpoint([parsed], undefined, (range) => told.push([range.byteOffset, range.byteLength])).float32('w', [count]);
  t.ok(copy.every((value, i) => value === values[i]), 'the values');
  const start = parsed.bytes.byteOffset + parsed.bytes.length - count * 4;
  const chunks = told.slice(0, -1);
  t.deepEqual(chunks.map(([offset]) => offset), [0, 1, 2, 3, 4, 5].map((c) => start + c * (4 << 20)), 'chunks in order, none skipped');
  t.ok(chunks.every(([, length]) => length <= 4 << 20) && chunks.reduce((sum, [, length]) => sum + length, 0) === count * 4, 'each at most 4 MiB, the whole tensor');
  t.deepEqual(told.at(-1), [start, count * 4], 'then the whole tensor');
  t.end();
});

// Independent of the bit-moving conversion under test: the binary16 definition, in float64.
function f16ByDefinition(half: number): number {
  const sign = half & 0x8000 ? -1 : 1;
  const exponent = (half >> 10) & 0x1f;
  const mantissa = half & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + mantissa / 1024);
}

test('F16 converts to F32: normals, subnormals, ±0, ±inf, NaN', (t) => {
  const known: [number, number][] = [
    [0x3c00, 1], [0xc000, -2], [0x3800, 0.5], [0x7bff, 65504], [0x0001, 2 ** -24], [0x8001, -(2 ** -24)],
    [0x03ff, 1023 * 2 ** -24], [0x0400, 2 ** -14], [0x7c00, Infinity], [0xfc00, -Infinity], [0x0000, 0], [0x8000, -0],
  ];
  const bytes = writeSafetensors({
    known: { dtype: 'F16', shape: [known.length], data: u16Bytes(...known.map(([bits]) => bits)) },
    nan: { dtype: 'F16', shape: [3], data: u16Bytes(0x7e00, 0xfe00, 0x7c01) },
  });
  const found = decodeFloat32('F16', new DataView(u16Bytes(...known.map(([bits]) => bits)).buffer), known.length)!;
  known.forEach(([bits, value], i) =>
    t.ok(Object.is(found[i], value), `0x${bits.toString(16).padStart(4, '0')} → ${Object.is(value, -0) ? '-0' : value}`));
  t.ok(decodeFloat32('F16', new DataView(u16Bytes(0x7e00, 0xfe00, 0x7c01).buffer), 3)!.every(Number.isNaN),
    'quiet, negative and signalling NaN stay NaN');
  throwsSafetensorsError(t, () => new Checkpoint([parseSafetensors(bytes, 'half.safetensors')]).float32('known', [known.length]),
    ['half.safetensors', 'tensor "known"', 'element 8 is Infinity', 'finite'], 'a checkpoint refuses an inf weight');

  const every = Array.from({ length: 65536 }, (_, bits) => bits);
  const all = decodeFloat32('F16', new DataView(u16Bytes(...every).buffer), every.length)!;
  const wrong = every.filter((bits) => !Object.is(all[bits], f16ByDefinition(bits)));
  t.deepEqual(wrong, [], 'all 65536 binary16 patterns match the definition');
  t.end();
});

test('BF16 converts to F32 as the top half of a binary32', (t) => {
  // bfloat16 has float32's range, so its extremes differ from F16's: 65504 is not representable
  // (0x477f is 65280), the largest finite is 0x7f7f, and the smallest subnormal is 2^-133.
  const known: [number, number][] = [
    [0x3f80, 1], [0xc000, -2], [0x3f00, 0.5], [0x477f, 65280], [0x7f7f, 3.3895313892515355e38],
    [0x0001, 2 ** -133], [0x7f80, Infinity], [0xff80, -Infinity], [0x0000, 0], [0x8000, -0],
  ];
  const bytes = writeSafetensors({
    known: { dtype: 'BF16', shape: [known.length], data: u16Bytes(...known.map(([bits]) => bits)) },
    nan: { dtype: 'BF16', shape: [2], data: u16Bytes(0x7fc0, 0xffc1) },
  });
  const found = decodeFloat32('BF16', new DataView(u16Bytes(...known.map(([bits]) => bits)).buffer), known.length)!;
  known.forEach(([bits, value], i) =>
    t.ok(Object.is(found[i], value), `0x${bits.toString(16).padStart(4, '0')} → ${Object.is(value, -0) ? '-0' : value}`));
  t.ok(decodeFloat32('BF16', new DataView(u16Bytes(0x7fc0, 0xffc1).buffer), 2)!.every(Number.isNaN), 'NaN stays NaN');
  throwsSafetensorsError(t, () => new Checkpoint([parseSafetensors(bytes, 'brain.safetensors')]).float32('nan', [2]),
    ['brain.safetensors', 'tensor "nan"', 'element 0 is NaN', 'finite'], 'a checkpoint refuses a NaN weight');
  t.end();
});

test('I64 tensors are parsed but float32() refuses them', (t) => {
  const bytes = writeSafetensors({ 'embeddings.position_ids': { dtype: 'I64', shape: [1, 2], data: new Uint8Array(16) } });
  const parsed = parseSafetensors(bytes, 'ids.safetensors');
  t.deepEqual(parsed.tensors.get('embeddings.position_ids')?.shape, [1, 2], 'parsed with its shape');
  throwsSafetensorsError(t, () => new Checkpoint([parsed]).float32('embeddings.position_ids', [1, 2]),
    ['ids.safetensors', 'embeddings.position_ids', 'I64', 'F32'], 'float32 of I64');
  t.end();
});

test('every malformed file is a SafetensorsError naming the file, the tensor and the problem', (t) => {
  const good = writeSafetensors({ ...f32('a', [2], 1, 2), ...f32('b', [1], 3) });
  const entry = (dtype: unknown, shape: unknown, offsets: unknown) => ({ dtype, shape, data_offsets: offsets });
  const cases: [string, Uint8Array, string[]][] = [
    ['shorter than the length prefix', good.subarray(0, 5), ['5 bytes', 'truncated']],
    ['truncated data', good.subarray(0, good.length - 2), ['tensor "b"', 'past the end', 'truncated']],
    ['header length past the end', rawSafetensors({}, new Uint8Array(0), 4096n), ['header length 4096', 'past the end']],
    ['header length beyond 100 MB', rawSafetensors({}, new Uint8Array(0), 2n ** 63n), ['header length 9223372036854775808', 'limit']],
    ['header not JSON', rawSafetensors('{"a": {', new Uint8Array(0)), ['not valid JSON']],
    ['header not UTF-8', (() => { const bad = rawSafetensors('{"\u00e9":1}', new Uint8Array(0)); bad[10] = 0xff; return bad; })(),
      ['not valid UTF-8']],
    ['header a JSON array', rawSafetensors('[1, 2]', new Uint8Array(0)), ['must be a JSON object', 'array']],
    ['__metadata__ value not a string', rawSafetensors({ __metadata__: { format: 1 } }, new Uint8Array(0)), ['__metadata__ "format"', '1']],
    ['entry not an object', rawSafetensors({ a: 3 }, new Uint8Array(0)), ['tensor "a"', 'must be an object']],
    ['unknown dtype', rawSafetensors({ a: entry('F128', [1], [0, 16]) }, new Uint8Array(16)), ['tensor "a"', 'unknown dtype "F128"', 'BF16']],
    ['negative shape', rawSafetensors({ a: entry('F32', [-1], [0, 0]) }, new Uint8Array(0)), ['tensor "a"', 'shape', '[-1]']],
    ['fractional shape', rawSafetensors({ a: entry('F32', [1.5], [0, 6]) }, new Uint8Array(8)), ['tensor "a"', 'shape', '[1.5]']],
    ['shape not an array', rawSafetensors({ a: entry('F32', 4, [0, 16]) }, new Uint8Array(16)), ['tensor "a"', 'shape', 'found 4']],
    ['shape × size ≠ span', rawSafetensors({ a: entry('F32', [3], [0, 8]) }, new Uint8Array(8)),
      ['tensor "a"', 'shape [3] of F32 needs 12 bytes', 'span 8']],
    ['F16 with an odd byte span', rawSafetensors({ a: entry('F16', [2], [0, 3]) }, new Uint8Array(8)), ['tensor "a"', 'needs 4 bytes', 'span 3']],
    ['sub-byte dtype not filling whole bytes', rawSafetensors({ a: entry('F4', [3], [0, 1]) }, new Uint8Array(8)),
      ['tensor "a"', 'needs 1.5 bytes']],
    ['span past the end', rawSafetensors({ a: entry('F32', [4], [8, 24]) }, new Uint8Array(16)),
      ['tensor "a"', '[8, 24]', 'past the end of the 16-byte data section']],
    ['overlapping spans', rawSafetensors({ a: entry('F32', [2], [0, 8]), b: entry('F32', [2], [4, 12]) }, new Uint8Array(16)),
      ['tensor "b"', 'overlaps tensor "a"', '[4, 12]', '[0, 8]']],
    ['negative offset', rawSafetensors({ a: entry('F32', [1], [-4, 0]) }, new Uint8Array(8)), ['tensor "a"', 'data_offsets', '[-4,0]']],
    ['fractional offset', rawSafetensors({ a: entry('U8', [1], [0.5, 1.5]) }, new Uint8Array(8)), ['tensor "a"', 'data_offsets', '[0.5,1.5]']],
    ['begin after end', rawSafetensors({ a: entry('U8', [0], [4, 0]) }, new Uint8Array(8)), ['tensor "a"', 'begin ≤ end', '[4,0]']],
    ['three offsets', rawSafetensors({ a: entry('U8', [1], [0, 1, 2]) }, new Uint8Array(8)), ['tensor "a"', 'data_offsets', '[0,1,2]']],
    ['offsets missing', rawSafetensors({ a: { dtype: 'U8', shape: [1] } }, new Uint8Array(8)), ['tensor "a"', 'data_offsets', 'found nothing']],
  ];
  for (const [label, bytes, mentions] of cases) {
    throwsSafetensorsError(t, () => parseSafetensors(bytes, 'bad.safetensors'), ['bad.safetensors', ...mentions], label);
  }
  t.doesNotThrow(() => parseSafetensors(rawSafetensors({ a: entry('F32', [0, 5], [8, 8]), b: entry('U8', [8], [0, 8]) },
    new Uint8Array(8)), 'ok.safetensors'), 'an empty tensor at the end of another is no overlap');
  t.end();
});

test('checkpoint errors: missing tensor, wrong shape, duplicates across shards, index mismatches', (t) => {
  const shard1 = parseSafetensors(writeSafetensors({ ...f32('a', [2], 1, 2), ...f32('b', [1], 3) }), 'model-00001-of-00002.safetensors');
  const shard2 = parseSafetensors(writeSafetensors(f32('c', [1, 2], 4, 5)), 'model-00002-of-00002.safetensors');
  const checkpoint = new Checkpoint([shard1, shard2]);
  t.deepEqual(checkpoint.names(), ['a', 'b', 'c'], 'names across shards');
  t.ok(checkpoint.has('c') && !checkpoint.has('d'), 'has');
  throwsSafetensorsError(t, () => checkpoint.float32('pooler.dense.weight', [4, 4]),
    ['pooler.dense.weight', '[4, 4]', 'not found', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'], 'missing tensor');
  throwsSafetensorsError(t, () => checkpoint.float32('c', [2, 1]),
    ['model-00002-of-00002.safetensors', 'tensor "c"', 'expected shape [2, 1], found [1, 2]'], 'wrong shape');
  throwsSafetensorsError(t, () => checkpoint.float32('c', [2]), ['tensor "c"', 'expected shape [2], found [1, 2]'], 'wrong rank');

  const again = parseSafetensors(writeSafetensors(f32('b', [1], 9)), 'model-00002-of-00002.safetensors');
  throwsSafetensorsError(t, () => new Checkpoint([shard1, again]),
    ['tensor "b"', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'], 'duplicate tensor across shards');

  const index = (weightMap: Record<string, string>) =>
    ({ json: JSON.stringify({ metadata: { total_size: 20 }, weight_map: weightMap }), file: 'model.safetensors.index.json' });
  const good = index({ a: 'model-00001-of-00002.safetensors', b: 'model-00001-of-00002.safetensors', c: 'model-00002-of-00002.safetensors' });
  t.deepEqual(shardFiles(good.json, good.file), ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'],
    'shard files, each once, in index order');
  t.doesNotThrow(() => new Checkpoint([shard1, shard2], good), 'a consistent index');
  throwsSafetensorsError(t, () => new Checkpoint([shard1, shard2], index({ a: 'model-00002-of-00002.safetensors' })),
    ['model.safetensors.index.json', 'tensor "a"', 'mapped to model-00002-of-00002.safetensors', 'does not contain it',
      'found in model-00001-of-00002.safetensors'], 'index naming the wrong shard');
  throwsSafetensorsError(t, () => new Checkpoint([shard1, shard2], index({ d: 'model-00001-of-00002.safetensors' })),
    ['model.safetensors.index.json', 'tensor "d"', 'does not contain it'], 'index naming a tensor absent from its shard');
  throwsSafetensorsError(t, () => new Checkpoint([shard1], index({ c: 'model-00002-of-00002.safetensors' })),
    ['model.safetensors.index.json', 'tensor "c"', 'not loaded', 'model-00001-of-00002.safetensors'], 'index naming a shard not given');

  for (const shard of ['../x', 'weights/model.safetensors', '..\\x', 'C:model.safetensors', '..', '', '/etc/passwd']) {
    throwsSafetensorsError(t, () => shardFiles(index({ a: shard }).json, 'model.safetensors.index.json'),
      ['model.safetensors.index.json', 'tensor "a"', 'plain file name', JSON.stringify(shard)], `shard name ${JSON.stringify(shard)}`);
  }
  throwsSafetensorsError(t, () => shardFiles('{"weight_map": ', 'model.safetensors.index.json'),
    ['model.safetensors.index.json', 'not valid JSON'], 'index not JSON');
  throwsSafetensorsError(t, () => shardFiles('{"weights": {}}', 'model.safetensors.index.json'),
    ['model.safetensors.index.json', 'weight_map'], 'index without weight_map');
  t.end();
});

// ---- the real checkpoints --------------------------------------------------------------------

interface Golden {
  metadata: Record<string, string>;
  shapes: Record<string, number[]>;
  tensors: Record<string, { values: Record<string, number>; sum: number }>;
}
const goldens: Record<string, Golden> = JSON.parse(fs.readFileSync(path.join(goldensDir, 'safetensors-values.json'), 'utf8'));

function readCheckpoint(name: 'all-MiniLM-L6-v2' | 'all-mpnet-base-v2'): SafetensorsFile {
  const file = path.join(checkpointDir(name), 'model.safetensors');
  return parseSafetensors(fs.readFileSync(file), file);
}

const knownShapes: Record<string, Record<string, number[]>> = {
  'all-MiniLM-L6-v2': {
    'embeddings.word_embeddings.weight': [30522, 384],
    'encoder.layer.5.intermediate.dense.weight': [1536, 384],
    'pooler.dense.weight': [384, 384],
  },
  'all-mpnet-base-v2': {
    'embeddings.word_embeddings.weight': [30527, 768],
    'encoder.relative_attention_bias.weight': [32, 12],
    'encoder.layer.11.attention.attn.o.weight': [768, 768],
  },
};

for (const name of ['all-MiniLM-L6-v2', 'all-mpnet-base-v2'] as const) {
  test(`${name}: tensors, shapes and values match the Python safetensors library; F32 reads back bit for bit`, (t) => {
    const golden = goldens[name];
    const file = readCheckpoint(name);
    const checkpoint = new Checkpoint([file]);
    t.deepEqual(file.metadata, golden.metadata, '__metadata__');
    t.deepEqual(checkpoint.names().sort(), Object.keys(golden.shapes).sort(), `the same ${Object.keys(golden.shapes).length} tensor names`);
    t.deepEqual(Object.fromEntries([...file.tensors].map(([tensor, info]) => [tensor, info.shape])), golden.shapes, 'every shape');
    for (const [tensor, shape] of Object.entries(knownShapes[name])) {
      t.deepEqual(file.tensors.get(tensor)?.shape, shape, `${tensor} is ${JSON.stringify(shape)}`);
    }

    const f32Tensors = [...file.tensors.values()].filter((info) => info.dtype === 'F32');
    const differing = f32Tensors.filter((info) => !sameBits(checkpoint.float32(info.name, info.shape),
      new Float32Array(file.bytes.buffer, file.bytes.byteOffset + info.begin, (info.end - info.begin) / 4)));
    t.deepEqual(differing.map((info) => info.name), [], `all ${f32Tensors.length} F32 tensors equal the file's bytes`);

    for (const [tensor, { values, sum }] of Object.entries(golden.tensors)) {
      const found = checkpoint.float32(tensor, golden.shapes[tensor]);
      const mismatched = Object.entries(values).filter(([index, value]) => found[Number(index)] !== value);
      t.deepEqual(mismatched, [], `${tensor}: ${Object.keys(values).length} sampled values exact`);
      const total = found.reduce((accumulated, value) => accumulated + value, 0);
      t.ok(Math.abs(total - sum) <= 1e-9 * Math.max(1, Math.abs(sum)), `${tensor}: sum ${total} ≈ ${sum}`);
    }
    t.end();
  });
}

test('all-MiniLM-L6-v2 split into two shards + index reads back tensor for tensor', (t) => {
  const whole = readCheckpoint('all-MiniLM-L6-v2');
  const wholeCheckpoint = new Checkpoint([whole]);
  const infos = [...whole.tensors.values()];
  const halves = [infos.slice(0, infos.length / 2), infos.slice(infos.length / 2)];
  const shardNames = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
  const weightMap: Record<string, string> = {};

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sentvec-shards-'));
  try {
    halves.forEach((half, i) => {
      const tensors = Object.fromEntries(half.map((info) =>
        [info.name, { dtype: info.dtype, shape: info.shape, data: whole.bytes.subarray(info.begin, info.end) }]));
      fs.writeFileSync(path.join(dir, shardNames[i]), writeSafetensors(tensors, whole.metadata));
      for (const info of half) weightMap[info.name] = shardNames[i];
    });
    const indexFile = path.join(dir, 'model.safetensors.index.json');
    fs.writeFileSync(indexFile, JSON.stringify({ metadata: { total_size: whole.bytes.length }, weight_map: weightMap }));

    const indexJson = fs.readFileSync(indexFile, 'utf8');
    const listed = shardFiles(indexJson, indexFile);
    t.deepEqual(listed, shardNames, 'the index lists both shards');
    const shards = listed.map((shard) => parseSafetensors(fs.readFileSync(path.join(dir, shard)), path.join(dir, shard)));
    const sharded = new Checkpoint(shards, { json: indexJson, file: indexFile });

    t.deepEqual(sharded.names().sort(), wholeCheckpoint.names().sort(), 'the same tensor names');
    // float32() covers the F32 tensors through the merged checkpoint; the I64 position ids by their bytes.
    const differing = infos.filter((info) => info.dtype === 'F32'
      ? !sameBits(sharded.float32(info.name, info.shape), wholeCheckpoint.float32(info.name, info.shape))
      : !tensorBytes(shards, info.name).equals(tensorBytes([whole], info.name)));
    t.deepEqual(differing.map((info) => info.name), [], `all ${infos.length} tensors equal the unsharded ones`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  t.end();
});

test('the data section must be exactly the tensors back to back: no gap, no trailing bytes, no short header', (t) => {
  const entry = (offsets: number[]) => ({ dtype: 'U8', shape: [offsets[1] - offsets[0]], data_offsets: offsets });
  const cases: [string, Uint8Array, string[]][] = [
    ['trailing bytes', rawSafetensors({ a: entry([0, 4]) }, new Uint8Array(8)), ['4 bytes after the last tensor', '8-byte data section']],
    ['a gap before the first tensor', rawSafetensors({ a: entry([4, 8]) }, new Uint8Array(8)), ['tensor "a"', '[4, 8]', 'starts at 4', 'expected 0']],
    ['a gap between tensors', rawSafetensors({ a: entry([0, 4]), b: entry([6, 8]) }, new Uint8Array(8)), ['tensor "b"', 'starts at 6', 'expected 4']],
    ['no tensors, but data', rawSafetensors({}, new Uint8Array(8)), ['8 bytes after the last tensor']],
  ];
  for (const [label, bytes, mentions] of cases) {
    throwsSafetensorsError(t, () => parseSafetensors(bytes, 'bad.safetensors'), ['bad.safetensors', ...mentions], label);
  }
  const real = fs.readFileSync(path.join(checkpointDir('all-MiniLM-L6-v2'), 'model.safetensors'));
  const headerLength = Number(real.readBigUInt64LE(0));
  for (let short = 1; short <= 7; short++) {
    const mutated = Buffer.from(real);
    mutated.writeBigUInt64LE(BigInt(headerLength - short), 0);
    throwsSafetensorsError(t, () => parseSafetensors(mutated, 'short.safetensors'), ['short.safetensors'], `header length ${short} bytes short`);
  }
  t.end();
});

test('__metadata__ must be a flat map of strings, however deeply a value nests', (t) => {
  const deep = `{"__metadata__":{"format":${'['.repeat(200_000)}${']'.repeat(200_000)}}}`;
  throwsSafetensorsError(t, () => parseSafetensors(rawSafetensors(deep, new Uint8Array(0)), 'deep.safetensors'),
    ['deep.safetensors', '__metadata__ "format"', 'must be a string', 'an array'], 'a deeply nested metadata value');
  throwsSafetensorsError(t, () => parseSafetensors(rawSafetensors({ __metadata__: 'pt' }, new Uint8Array(0)), 'meta.safetensors'),
    ['meta.safetensors', '__metadata__ must be an object', '"pt"'], '__metadata__ a string');
  t.end();
});
