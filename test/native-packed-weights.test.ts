// Linear weights packed once by the addon (the path every model takes): the same values as the
// weight in PyTorch layout at every ISA level, checked against the N and K they were packed for,
// and, packed from a mapped safetensors file, with the mapping still reading the file's bytes
// after packLinear, and unmapFile ends the mapping for good.
import fs from 'node:fs';
import path from 'node:path';
import test from 'tape';
import { Checkpoint, parseSafetensors } from '../src/safetensors.js';
import { checkpointDir } from './fixtures.js';
import { nativeAddonOrSkip } from './native-addon.js';

function random(length: number, scale: number): Float32Array {
  return Float32Array.from({ length }, (_, i) => Math.sin(i * 78.233 + length) * scale);
}

function firstDifference(a: Float32Array, b: Float32Array): number {
  return a.length !== b.length ? 0 : a.findIndex((value, i) => !Object.is(value, b[i]));
}

test('packLinear: a packed weight gives the unpacked weight\'s values exactly, at every level', async (t) => {
  const addon = await nativeAddonOrSkip(t);
  if (!addon) return;
  const initial = addon.isa();
  // N not a multiple of the 16-column panel, K odd, a single row, a K past one summation block
  const shapes: [number, number, number][] = [[5, 37, 33], [1, 384, 1536], [14, 1031, 17], [64, 3072, 48]];
  for (const [M, K, N] of shapes) {
    const inp = random(M * K, 1);
    const weight = random(N * K, 1 / Math.sqrt(K));
    const bias = random(N, 0.5);
    const residual = random(M * N, 1);
    const packed = addon.packLinear(weight, N, K);
    t.equal(packed.length, Math.ceil(N / 16) * 16 * K, `M=${M} K=${K} N=${N}: packed into ${packed.length} floats`);
    for (const level of addon.isaLevels().filter((l) => l.supported)) {
      addon.setIsa(level.name);
      const fromRaw = new Float32Array(M * N);
      const fromPacked = new Float32Array(M * N);
      addon.linear(fromRaw, inp, weight, bias, residual, M, K, N, 'gelu');
      addon.linear(fromPacked, inp, packed, bias, residual, M, K, N, 'gelu');
      t.equal(firstDifference(fromPacked, fromRaw), -1, `${level.name} M=${M} K=${K} N=${N}: identical`);
    }
  }
  addon.setIsa(initial);
});

test('packLinear: a packed weight is only taken for the shape it was packed for', async (t) => {
  const addon = await nativeAddonOrSkip(t);
  if (!addon) return;
  const [M, K, N] = [2, 8, 20];
  const packed = addon.packLinear(random(N * K, 1), N, K);
  const call = (weight: Float32Array, k: number, n: number) =>
    () => addon.linear(new Float32Array(M * n), random(M * k, 1), weight, random(n, 1), null, M, k, n, 'none');
  t.throws(call(packed, K, 16), /linear: weight was packed for N=20, K=8, not N=16, K=8/, 'other N');
  t.throws(call(packed, 4, N), /linear: weight was packed for N=20, K=8, not N=20, K=4/, 'other K');
  t.throws(call(packed.subarray(0, packed.length - 1), K, N), /packed for N=20, K=8 and must be passed whole/, 'a shortened view');
  t.throws(() => addon.packLinear(random(N * K - 1, 1), N, K), /packLinear: weight holds 159 elements, needs 160/, 'short weight');
  t.throws(() => addon.packLinear(random(N * K, 1), N, 0), /packLinear: K must be a positive integer, got 0/, 'zero K');
  t.throws(() => addon.packLinear([1, 2] as unknown as Float32Array, 1, 2), /packLinear: weight must be a Float32Array/, 'plain array');
  const out = new Float32Array(M * N);
  t.throws(() => addon.linear(packed, random(M * K, 1), packed, random(N, 1), null, M, K, N, 'none'), /linear: out overlaps weight/,
    'out that is the packed weight');
  addon.linear(out, random(M * K, 1), packed, random(N, 1), null, M, K, N, 'none');
  t.ok(out.every(Number.isFinite), 'the right shape runs');
});

test('packLinear from a mapped file; unmapFile detaches and unmaps it, once', async (t) => {
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
  const [N, K] = [1536, 384];
  const fromMapping = addon.packLinear(mapped.float32(name, [N, K]), N, K);
  const fromCopy = addon.packLinear(copied.float32(name, [N, K]), N, K);
  t.equal(firstDifference(fromMapping, fromCopy), -1, 'packing the mapped tensor equals packing a read copy');
  const view = new Uint8Array(mappedBuffer);
  addon.unmapFile(mappedBuffer);
  t.equal(mappedBuffer.byteLength, 0, 'the buffer is detached');
  t.equal(view.length, 0, 'views of it are empty');
  t.doesNotThrow(() => addon.unmapFile!(mappedBuffer), 'unmapping twice is a no-op');
  t.equal(firstDifference(addon.packLinear(copied.float32(name, [N, K]), N, K), fromMapping), -1, 'the packed copy outlives the mapping');
  const remapped = addon.mapFile(file);
  t.ok(Buffer.compare(Buffer.from(remapped), read) === 0, 'a new mapping of the file reads its bytes');
  addon.unmapFile(remapped);
  t.throws(() => addon.unmapFile!(new ArrayBuffer(8)), /unmapFile: buffer must be an ArrayBuffer from mapFile/, 'a buffer never mapped');
  t.throws(() => addon.unmapFile!(new Float32Array(2) as unknown as ArrayBuffer), /unmapFile: buffer must be an ArrayBuffer from mapFile/, 'a typed array');
});
