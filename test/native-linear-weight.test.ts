// The addon's LinearWeight, the only weight its linear takes: it knows its shape, format and
// packed size, is refused for any other shape, and cannot be imitated. Packed from a mapped
// safetensors file it computes what a read copy computes, and outlives the mapping, which
// unmapFile ends for good.
import fs from 'node:fs';
import path from 'node:path';
import test from 'tape';
import { jsKernels } from '../src/backend/js.js';
import { cpuFlags } from '../src/bench/machine.js';
import { Checkpoint, parseSafetensors } from '../src/safetensors.js';
import { checkpointDir } from './fixtures.js';
import { nativeAddonOrSkip } from './native-addon.js';

function random(length: number, scale: number): Float32Array {
  return Float32Array.from({ length }, (_, i) => Math.sin(i * 78.233 + length) * scale);
}

test('LinearWeight: shape, format and packed bytes; taken only for its own shape', async (t) => {
  const addon = await nativeAddonOrSkip(t);
  if (!addon) return;
  const [M, K, N] = [2, 8, 20];
  const widestTile = Math.max(...addon.linearTiles().map((tile) => tile.columns));
  const weight = new addon.LinearWeight(random(N * K, 1), N, K, 'f32');
  t.deepEqual([weight.N, weight.K, weight.format], [N, K, 'f32'], 'N, K and format');
  t.equal(weight.bytes, Math.ceil(N / widestTile) * widestTile * K * 4, `${weight.bytes} bytes: columns padded to ${widestTile}`);
  // i8: a code per weight (K padded to blocks of 32), a float scale per block, and an int32 offset
  // per block only on a CPU that runs AVX-512 VNNI, the one level that reads them
  const i8 = new addon.LinearWeight(random(N * K, 1), N, K, 'i8');
  const [columns, padded] = [Math.ceil(N / widestTile) * widestTile, Math.ceil(K / 32) * 32];
  const perBlock = (i8.bytes - columns * padded) / (columns * (padded / 32));
  const flags = cpuFlags();
  const vnni = flags && flags.includes('avx512f') && flags.includes('avx512_vnni');
  if (vnni === undefined) {
    const avx512 = addon.isaLevels().some((level) => level.name === 'avx512' && level.supported);
    t.ok(avx512 ? perBlock === 4 || perBlock === 8 : perBlock === 4, `i8: ${i8.bytes} bytes, ${perBlock} per block beside the codes`);
  } else {
    t.equal(perBlock, vnni ? 8 : 4, `i8: ${i8.bytes} bytes, ${perBlock} per block beside the codes (${vnni ? 'an' : 'no'} AVX-512 VNNI CPU)`);
  }
  const call = (w: unknown, k: number, n: number) =>
    () => addon.linear(new Float32Array(M * n), random(M * k, 1), w as never, random(n, 1), null, M, k, n, 'none');
  t.throws(call(weight, K, 16), /linear: weight was made for N=20, K=8, not N=16, K=8/, 'other N');
  t.throws(call(weight, 4, N), /linear: weight was made for N=20, K=8, not N=20, K=4/, 'other K');
  t.throws(call(random(N * K, 1), K, N), /linear: weight must be a LinearWeight of this addon/, 'a bare Float32Array');
  t.throws(call({ N, K, format: 'f32', bytes: weight.bytes }, K, N), /linear: weight must be a LinearWeight of this addon/, 'a look-alike object');
  t.throws(call(Object.create(addon.LinearWeight.prototype), K, N), /LinearWeight of this addon|Invalid argument/, 'an object that only shares its prototype');
  t.throws(() => new addon.LinearWeight(random(N * K - 1, 1), N, K, 'f32'), /LinearWeight: weight holds 159 elements, needs 160/, 'short weight');
  t.throws(() => new addon.LinearWeight(random(N * K, 1), N, 0, 'f32'), /LinearWeight: K must be a positive integer, got 0/, 'zero K');
  t.throws(() => new addon.LinearWeight([1, 2] as unknown as Float32Array, 1, 2, 'f32'), /LinearWeight: weight must be a Float32Array/, 'plain array');
  t.throws(() => new addon.LinearWeight(random(N * K, 1), N, K, 'q4' as never), /LinearWeight: unknown format 'q4' \(f32, i8\)/, 'unknown format');
  t.throws(() => (addon.LinearWeight as unknown as (...args: unknown[]) => unknown)(random(N * K, 1), N, K, 'f32'), /new/i, 'called without new');
  const out = new Float32Array(M * N);
  addon.linear(out, random(M * K, 1), weight, random(N, 1), null, M, K, N, 'none');
  t.ok(out.every(Number.isFinite), 'the right shape runs');
});

test('LinearWeight from a mapped file computes what a read copy does; unmapFile detaches and unmaps it, once', async (t) => {
  const addon = await nativeAddonOrSkip(t);
  if (!addon) return;
  if (!addon.mapFile || !addon.unmapFile) {
    t.fail('the addon has no mapFile/unmapFile');
    return;
  }
  const file = path.join(checkpointDir('all-MiniLM-L6-v2'), 'model.safetensors');
  const read = fs.readFileSync(file);
  const mappedBuffer = addon.mapFile(file);
  const mapped = new Checkpoint([parseSafetensors(new Uint8Array(mappedBuffer), file)]);
  const copied = new Checkpoint([parseSafetensors(new Uint8Array(read.buffer, read.byteOffset, read.byteLength), file)]);
  const name = 'encoder.layer.0.intermediate.dense.weight';
  const [M, N, K] = [3, 1536, 384];
  const fromMapping = new addon.LinearWeight(mapped.float32(name, [N, K]), N, K, 'f32');
  const fromCopy = new addon.LinearWeight(copied.float32(name, [N, K]), N, K, 'f32');
  const inp = random(M * K, 1);
  const bias = random(N, 0.1);
  const run = (weight: typeof fromCopy) => {
    const out = new Float32Array(M * N);
    addon.linear(out, inp, weight, bias, null, M, K, N, 'gelu');
    return out;
  };
  t.deepEqual(run(fromMapping), run(fromCopy), 'the weight packed from the mapping gives the read copy\'s results to the bit');
  const expected = new Float32Array(M * N);
  jsKernels.linear(expected, inp, jsKernels.linearWeight(copied.float32(name, [N, K]), N, K, 'f32'), bias, null, M, K, N, 'gelu');
  t.ok(run(fromMapping).every((value, i) => Math.abs(value - expected[i]) <= 1e-5 + 1e-4 * Math.abs(expected[i])), 'and the reference\'s');
  const view = new Uint8Array(mappedBuffer);
  addon.unmapFile(mappedBuffer);
  t.equal(mappedBuffer.byteLength, 0, 'the buffer is detached');
  t.equal(view.length, 0, 'views of it are empty');
  t.doesNotThrow(() => addon.unmapFile!(mappedBuffer), 'unmapping twice is a no-op');
  t.deepEqual(run(fromMapping), run(fromCopy), 'the packed copy outlives the mapping');
  const remapped = addon.mapFile(file);
  t.ok(Buffer.compare(Buffer.from(remapped), read) === 0, 'a new mapping of the file reads its bytes');
  addon.unmapFile(remapped);
  t.throws(() => addon.unmapFile!(new ArrayBuffer(8)), /unmapFile: buffer must be an ArrayBuffer from mapFile/, 'a buffer never mapped');
  t.throws(() => addon.unmapFile!(new Float32Array(2) as unknown as ArrayBuffer), /unmapFile: buffer must be an ArrayBuffer from mapFile/, 'a typed array');
});
