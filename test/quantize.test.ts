// sentvec quantize: the folder it writes holds the encoder's Linear weights as the int8 codes and
// scales every backend computes at load, so it gives the very vectors of load(original, {dtype:
// 'int8'}) on each backend, to the bit; damaged quantized files are refused naming the tensor.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'tape';
import { quantizeBlocks } from '../src/backend/int8.js';
import { availableBackends } from '../src/backend/index.js';
import { jsKernels } from '../src/backend/js.js';
import { withShapeChecks, type Kernels } from '../src/backend/kernels.js';
import { load, quantize } from '../src/index.js';
import { QUANTIZATION_KEY } from '../src/quantized-checkpoint.js';
import { parseSafetensors } from '../src/safetensors.js';
import { checkpointDir, errorMessage, projectRoot, stsTestSentences } from './fixtures.js';
import { compiledConfigurations, nativeAddonOrSkip } from './native-addon.js';
import { uniform } from './parity-cases.js';

const minilm = checkpointDir('all-MiniLM-L6-v2');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'sentvec-quantize-'));
test.onFinish(() => fs.rmSync(scratch, { recursive: true, force: true }));
const quantized = path.join(scratch, 'cli');
const LAYER = 'encoder.layer.0.attention.self.query.weight';

function sameBits(a: Float32Array[], b: Float32Array[]): string | undefined {
  for (let i = 0; i < a.length; i++) {
    const at = a[i].findIndex((value, j) => !Object.is(value, b[i][j]));
    if (at >= 0 || a[i].length !== b[i].length) return `vector ${i}, element ${at}: ${a[i][at]} vs ${b[i][at]}`;
  }
  return a.length === b.length ? undefined : `${a.length} vectors vs ${b.length}`;
}

test('sentvec quantize writes the int8 folder: codes, scales, metadata and every other file', (t) => {
  const run = spawnSync(process.execPath, [path.join(projectRoot, 'dist/src/cli.js'), 'quantize', '--model', minilm, '--out', quantized],
    { encoding: 'utf8' });
  t.equal(run.status, 0, `exit 0 ${run.stderr}`);
  t.match(run.stdout, /36 Linear weights as int8/, run.stdout.trim());
  const original = fs.statSync(path.join(minilm, 'model.safetensors')).size;
  const written = fs.statSync(path.join(quantized, 'model.safetensors')).size;
  // the word embeddings (30522×384 float32, 46.9 MB) are no Linear weight and stay float32
  t.ok(written < 0.67 * original, `model.safetensors ${written} bytes, from ${original} (${(100 * written / original).toFixed(1)}%)`);
  for (const file of ['config.json', 'tokenizer.json', 'modules.json', 'sentence_bert_config.json', '1_Pooling/config.json']) {
    t.ok(fs.readFileSync(path.join(quantized, file)).equals(fs.readFileSync(path.join(minilm, file))), `${file} copied`);
  }
  const file = parseSafetensors(fs.readFileSync(path.join(quantized, 'model.safetensors')), 'model.safetensors');
  t.equal(file.metadata[QUANTIZATION_KEY], 'q8_0-blocks-32', 'metadata names the layout');
  const codes = file.tensors.get(LAYER)!;
  const scales = file.tensors.get(`${LAYER}_scale`)!;
  t.deepEqual([codes.dtype, codes.shape, scales.dtype, scales.shape], ['I8', [384, 384], 'F32', [384, 12]], 'codes (N,K) I8, scales (N,K/32) F32');
  const source = parseSafetensors(fs.readFileSync(path.join(minilm, 'model.safetensors')), 'source');
  const info = source.tensors.get(LAYER)!;
  const expected = quantizeBlocks(new Float32Array(Uint8Array.from(source.bytes.subarray(info.begin, info.end)).buffer), 384, 384);
  t.ok(Buffer.from(file.bytes.subarray(codes.begin, codes.end)).equals(Buffer.from(expected.codes.buffer)), 'codes are quantizeBlocks\'s');
  t.ok(Buffer.from(file.bytes.subarray(scales.begin, scales.end)).equals(Buffer.from(expected.scales.buffer)), 'scales are quantizeBlocks\'s');
  const norm = 'encoder.layer.0.output.LayerNorm.weight';
  t.equal(file.tensors.get(norm)!.dtype, 'F32', 'other tensors stay as they were');
  t.end();
});

test('quantize(): the API writes the same file; an existing folder needs force', async (t) => {
  const api = path.join(scratch, 'api');
  const summary = await quantize(minilm, api);
  t.equal(summary.linearWeights, 36, '36 Linear weights');
  t.ok(fs.readFileSync(path.join(api, 'model.safetensors')).equals(fs.readFileSync(path.join(quantized, 'model.safetensors'))),
    'byte for byte the CLI\'s file');
  t.match(await errorMessage(quantize(minilm, api)), /exists and is not empty.*--force/, 'refuses a non-empty folder');
  await quantize(minilm, api, { force: true });
  t.ok(fs.existsSync(path.join(api, 'tokenizer.json')), 'force replaces it');
  t.match(await errorMessage(quantize(api, path.join(scratch, 'twice'))), /already quantized/, 'refuses to quantize twice');
  t.end();
});

test('a quantized folder gives the vectors of dtype int8, to the bit, on every backend', async (t) => {
  await nativeAddonOrSkip(t);
  const sentences = stsTestSentences().slice(0, 64);
  for (const kernels of await availableBackends()) {
    // the reference backend is slow: a few sentences show its codes and scales are the same
    const texts = kernels.name === 'js' ? sentences.slice(0, 2) : sentences;
    const reference = await load(minilm, { backend: kernels.name, dtype: 'int8' });
    const model = await load(quantized, { backend: kernels.name });
    try {
      t.equal(model.dtype, 'int8', `${kernels.name}: runs int8 by default`);
      const difference = sameBits(await model.encode(texts), await reference.encode(texts));
      t.equal(difference, undefined, `${kernels.name}: ${texts.length} vectors bit-identical`);
    } finally {
      await Promise.all([model.close(), reference.close()]);
    }
  }
  t.end();
});

// K = 50 ends in a short block, which the MiniLM shapes never do.
test('quantizedLinearWeight packs codes and scales as linearWeight(…, i8) packs the floats', async (t) => {
  const [M, K, N] = [5, 50, 70];
  const weight = uniform(N * K, 0.3);
  const inp = uniform(M * K, 2);
  const bias = uniform(N, 1);
  const { codes, scales } = quantizeBlocks(weight, N, K);
  const outOf = (k: Kernels, handle: ReturnType<Kernels['linearWeight']>) => {
    const [input, biasBuffer, out] = [k.alloc(M * K), k.alloc(N), k.alloc(M * N)];
    k.write(input, inp);
    k.write(biasBuffer, bias);
    k.linear(out, input, handle, biasBuffer, null, M, K, N, 'gelu');
    return k.read(out, M * N);
  };
  const addon = await nativeAddonOrSkip(t);
  const initialIsa = addon?.isa();
  // every native ISA level this machine runs packs with its own code (the panel layout is shared)
  const configurations = [...await compiledConfigurations(t), { label: 'js', kernels: jsKernels, enter: () => {} }];
  try {
    for (const { label, kernels, enter } of configurations) {
      enter();
      const k = withShapeChecks(kernels);
      const fromFloats = outOf(k, k.linearWeight(weight, N, K, 'i8'));
      const fromCodes = outOf(k, k.quantizedLinearWeight(codes, scales, N, K));
      t.equal(sameBits([fromCodes], [fromFloats]), undefined, `${label}: same outputs to the bit`);
      t.throws(() => k.quantizedLinearWeight(codes.subarray(1), scales, N, K), /codes hold 3499 values, needs 3500/, `${label}: short codes`);
      t.throws(() => k.quantizedLinearWeight(codes, scales.subarray(1), N, K), /scales hold 139 floats, needs 140/, `${label}: short scales`);
      t.throws(() => k.quantizedLinearWeight(Int8Array.from(codes, (c, i) => (i === 7 ? -128 : c)), scales, N, K),
        /codes\[7\] is -128, outside -127\.\.127/, `${label}: code -128`);
    }
  } finally {
    if (addon && initialIsa) addon.setIsa(initialIsa);
  }
  if (addon) {
    t.throws(() => new addon.LinearWeight(codes.subarray(1), scales, N, K), /LinearWeight: codes holds 3499 elements, needs 3500/, 'native: short codes');
    t.throws(() => new addon.LinearWeight(codes, scales.subarray(0, N), N, K), /LinearWeight: scales holds 70 elements, needs 140/, 'native: short scales');
    t.throws(() => new addon.LinearWeight(Int8Array.from(codes, (c, i) => (i === 9 ? -128 : c)), scales, N, K),
      /LinearWeight: codes\[9\] = -128 is outside -127\.\.127/, 'native: code -128');
    t.throws(() => new addon.LinearWeight(codes, Float32Array.from(scales, (s, i) => (i === 3 ? NaN : s)), N, K),
      /LinearWeight: scales\[3\] = nan is not a finite scale/, 'native: NaN scale');
    t.throws(() => new addon.LinearWeight(codes, [1] as unknown as Float32Array, N, K), /LinearWeight: scales must be a Float32Array/, 'native: plain array');
  }
  t.end();
});

interface Entry { dtype: string; shape: number[]; bytes: Uint8Array }

/** The quantized folder with its model.safetensors rebuilt from edited entries and metadata. */
function damaged(label: string, edit: (entries: Map<string, Entry>, metadata: Record<string, string>) => void): string {
  const dir = path.join(scratch, label.replace(/\W+/g, '-'));
  fs.cpSync(quantized, dir, { recursive: true, filter: (from) => !from.endsWith('model.safetensors') });
  const file = parseSafetensors(fs.readFileSync(path.join(quantized, 'model.safetensors')), 'model.safetensors');
  const entries = new Map([...file.tensors].map(([name, info]) =>
    [name, { dtype: info.dtype, shape: info.shape, bytes: file.bytes.subarray(info.begin, info.end) }]));
  const metadata = { ...file.metadata };
  edit(entries, metadata);
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, entry] of entries) {
    header[name] = { dtype: entry.dtype, shape: entry.shape, data_offsets: [offset, offset + entry.bytes.length] };
    offset += entry.bytes.length;
  }
  const headerBytes = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(headerBytes.length));
  fs.writeFileSync(path.join(dir, 'model.safetensors'), Buffer.concat([length, headerBytes, ...[...entries.values()].map((e) => e.bytes)]));
  return dir;
}

test('damaged quantized folders are refused, naming the tensor', async (t) => {
  const options = { backend: 'wasm' };
  const cases: [string, () => Promise<unknown>, RegExp][] = [
    ['fp32 requested of a quantized folder', () => load(quantized, { ...options, dtype: 'fp32' }),
      /dtype fp32 was requested, but this folder was written by sentvec quantize/],
    ['a missing scale tensor', () => load(damaged('no scale', (entries) => entries.delete(`${LAYER}_scale`)), options),
      new RegExp(`tensor "${LAYER}_scale" \\(shape \\[384, 12\\]\\) not found`)],
    ['scales of the wrong shape', () => load(damaged('scale shape', (entries) => (entries.get(`${LAYER}_scale`)!.shape = [12, 384])), options),
      new RegExp(`tensor "${LAYER}_scale": expected shape \\[384, 12\\], found \\[12, 384\\]`)],
    ['I8 weights without the metadata', () => load(damaged('no metadata', (_, metadata) => delete metadata[QUANTIZATION_KEY]), options),
      /tensor "encoder\.layer\.\d+\.[\w.]+weight" is I8, but the file's __metadata__ has no "sentvec.quantization" entry/],
    ['an unknown layout', () => load(damaged('layout', (_, metadata) => (metadata[QUANTIZATION_KEY] = 'q4_0')), options),
      /"sentvec.quantization" is "q4_0", a layout this version of sentvec does not read/],
    ['an I8 tensor where floats are expected', () => load(damaged('i8 norm', (entries) => {
      entries.set('embeddings.LayerNorm.weight', { dtype: 'I8', shape: [384], bytes: new Uint8Array(384) });
    }), options), /tensor "embeddings\.LayerNorm\.weight": dtype I8 \(int8 codes\) is read only as the weight of an encoder Linear layer/],
  ];
  for (const [label, loading, pattern] of cases) t.match(await errorMessage(loading()), pattern, label);
  t.end();
});
