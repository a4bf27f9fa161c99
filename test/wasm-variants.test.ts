// Every prebuilt wasm module (scalar, SIMD, relaxed-SIMD) against the reference on the parity
// cases, whichever one the probe would pick, and the SIMD int8 Linear against its scalar twin to
// the bit; then the linear-memory allocator: reuse without
// growth, MPNet-sized weights, and a clear error for an allocation that cannot fit; and packed
// Linear weights.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import test from 'tape';
import { jsKernels } from '../src/backend/js.js';
import type { Kernels } from '../src/backend/kernels.js';
import { loadWasmKernels, supportedWasmVariants, WASM_VARIANTS, type WasmKernels, type WasmVariant } from '../src/backend/wasm.js';
import { checkParity, uniform } from './parity-cases.js';

// Node 20 validates relaxed SIMD only behind a V8 flag: that variant then runs in a child
// process started with the flag, which runs this file with SENTVEC_WASM_VARIANT=relaxed.
const RELAXED_FLAG = '--experimental-wasm-relaxed-simd';
const onlyVariant = process.env.SENTVEC_WASM_VARIANT as WasmVariant | undefined;

for (const variant of onlyVariant ? [onlyVariant] : WASM_VARIANTS) {
  test(`wasm ${variant}: kernel parity against the reference`, async (t) => {
    if (supportedWasmVariants().includes(variant)) {
      const k = await loadWasmKernels({ variant });
      t.equal(k.variant, variant, `loaded the ${variant} module`);
      checkParity(t, k as Kernels);
      if (variant !== 'scalar') sameInt8Bits(t, k, await loadWasmKernels({ variant: 'scalar' }));
    } else {
      t.equal(variant, 'relaxed', 'every runtime sentvec supports validates the scalar and SIMD modules');
      const child = spawnSync(process.execPath, [RELAXED_FLAG, fileURLToPath(import.meta.url)], {
        env: { ...process.env, SENTVEC_WASM_VARIANT: 'relaxed' },
        encoding: 'utf8',
      });
      const summary = child.stdout.split('\n').filter((line) => /^# (tests|pass|fail)/.test(line)).join('; ');
      t.equal(child.status, 0, `relaxed module under ${RELAXED_FLAG}: ${summary || child.stderr}`);
    }
    t.end();
  });
}

// The int8 Linear's SIMD body sums the same exact i32 blocks and does the same float operations in
// the same order as the scalar twin, so every output has the scalar module's bits: every N and K in
// 1..70 (partial panels, tiles and blocks), every M in 1..9, with and without GELU and residual.
function sameInt8Bits(t: test.Test, simd: WasmKernels, scalar: WasmKernels): void {
  const SMALL = Array.from({ length: 70 }, (_, i) => i + 1);
  const problems: string[] = [];
  for (const K of SMALL) {
    for (const N of SMALL) {
      const weight = uniform(N * K, 1 / Math.sqrt(K));
      const bias = uniform(N, 0.5);
      const [simdWeight, scalarWeight] = [simd, scalar].map((k) => k.linearWeight(weight, N, K, 'i8'));
      for (let M = 1; M <= 9; M++) {
        const inp = uniform(M * K, 2);
        const residual = (M + N) % 3 === 0 ? null : uniform(M * N);
        const activation = (K + N + M) % 2 === 0 ? 'gelu' : 'none';
        const [found, expected] = ([[simd, simdWeight], [scalar, scalarWeight]] as const).map(([k, w]) => {
          const [input, biasAt, out] = [k.weight(inp), k.weight(bias), k.alloc(M * N)];
          const residualAt = residual && k.weight(residual);
          k.linear(out, input, w, biasAt, residualAt, M, K, N, activation);
          const result = k.read(out, M * N);
          for (const buffer of [input, biasAt, out, residualAt]) if (buffer !== null) k.free(buffer);
          return result;
        });
        const at = found.findIndex((value, i) => !Object.is(value, expected[i]));
        if (at >= 0) problems.push(`M=${M} K=${K} N=${N} element ${at}: ${found[at]}, scalar ${expected[at]}`);
      }
    }
  }
  t.deepEqual(problems.slice(0, 5), [], `${simd.variant} int8 linear: 44,100 shapes, the scalar module's bits`);
}

if (!onlyVariant) {
  test('wasm memory: repeated alloc/free cycles reuse blocks and never grow memory', async (t) => {
    const k = await loadWasmKernels();
    const weights = [k.weight(new Float32Array(384 * 384)), k.weight(new Float32Array(1536 * 384))];
    const weightBytes = k.memoryStats().inUse;
    // the buffers of one MiniLM layer at B=32, T=13, freed in a different order than allocated
    const forward = () => {
      const M = 32 * 13;
      const sizes = [M * 384, M * 384, M * 384, M * 384, M * 1536, M * 384, 32 * 384];
      const buffers = sizes.map((size) => k.alloc(size));
      for (const i of [3, 0, 5, 1, 6, 4, 2]) k.free(buffers[i]);
    };
    forward();
    const reserved = k.memoryStats().reserved;
    for (let cycle = 0; cycle < 50; cycle++) forward();
    t.equal(k.memoryStats().reserved, reserved, `memory stays at ${reserved} bytes over 50 forwards`);
    t.equal(k.memoryStats().inUse, weightBytes, 'only the weights stay in use');
    weights.forEach((w) => k.free(w));
    t.equal(k.memoryStats().inUse, 0, 'everything freed');
    t.end();
  });

  test('wasm memory: MPNet-base sized weights fit', async (t) => {
    const k = await loadWasmKernels();
    // all-mpnet-base-v2 holds 109.5M float32 parameters, the largest (30527,768) words
    const tensor = new Float32Array(30527 * 768).fill(0.5);
    let floats = 0;
    while (floats < 109.5e6) {
      k.weight(tensor);
      floats += tensor.length;
    }
    const activations = k.alloc(32 * 384 * 3072);
    t.ok(k.memoryStats().reserved >= floats * 4, `${(k.memoryStats().reserved / 2 ** 20).toFixed(0)} MiB reserved`);
    t.equal(k.read(activations, 1).length, 1, 'activations allocated above the weights');
    t.end();
  });

  test('wasm memory: an impossible allocation is a clear error and the backend still works', async (t) => {
    const k = await loadWasmKernels();
    const before = k.alloc(1000);
    t.throws(() => k.alloc(2 ** 31), /cannot allocate 8192\.0 MiB with 0\.0 MiB already in use: WebAssembly linear memory ends at 4 GiB/);
    k.free(before);
    t.throws(() => k.free(before), /not a live buffer/, 'a double free is refused');
    const bias = k.alloc(2);
    k.write(bias, new Float32Array([1, 2]));
    const out = k.alloc(2);
    k.linear(out, bias, k.linearWeight(new Float32Array([1, 2]), 1, 2, 'f32'), bias, null, 1, 2, 1, 'none');
    t.deepEqual(Array.from(k.read(out, 1)), [1 * 1 + 2 * 2 + 1], 'a kernel runs after the failed allocation');
    t.end();
  });

  test('wasm linear: takes only its own LinearWeight, for the shape it was made for', async (t) => {
    const k = await loadWasmKernels();
    const [M, K, N] = [5, 33, 20];
    const values = (length: number) => Float32Array.from({ length }, (_, i) => Math.sin(i * 0.37));
    const inp = k.weight(values(M * K));
    const bias = k.weight(values(N));
    const packed = k.linearWeight(values(N * K), N, K, 'f32');
    t.deepEqual([packed.N, packed.K, packed.format], [N, K, 'f32'], 'the handle knows its shape and format');
    t.throws(() => k.linear(k.alloc(M * 16), inp, packed, bias, null, M, K, 16, 'none'),
      /weight was made for N=20, K=33, not N=16, K=33/, 'a weight used with another N');
    const foreign = jsKernels.linearWeight(values(N * K), N, K, 'f32');
    t.throws(() => k.linear(k.alloc(M * N), inp, foreign, bias, null, M, K, N, 'none'),
      /weight is not a LinearWeight of the wasm backend/, 'a weight of another backend');
    t.end();
  });

  test('wasm loader: SENTVEC_WASM forces a variant and rejects unknown ones', async (t) => {
    const saved = process.env.SENTVEC_WASM;
    try {
      process.env.SENTVEC_WASM = 'scalar';
      t.equal((await loadWasmKernels()).variant, 'scalar');
      process.env.SENTVEC_WASM = 'avx512';
      await loadWasmKernels().then(
        () => t.fail('an unknown variant loaded'),
        (error: Error) => t.match(error.message, /unknown wasm variant 'avx512' \(from SENTVEC_WASM\); valid variants: relaxed, simd, scalar/));
    } finally {
      if (saved === undefined) delete process.env.SENTVEC_WASM;
      else process.env.SENTVEC_WASM = saved;
    }
    t.end();
  });
}
