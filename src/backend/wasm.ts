// WASM backend: the AssemblyScript kernels of asm/, prebuilt by `npm run build:wasm` into
// dist/wasm/ once per feature level. SIMD is a compile-time feature in AssemblyScript, so the
// runtime is probed here with WebAssembly.validate and the matching module is loaded.
// No Node built-in is imported at top level: browsers and edge runtimes load this file too.

import { ownWeight, POOL_MODES, type Kernels, type LinearWeight, type WeightFormat } from './kernels.js';

/** The prebuilt modules, most capable first: relaxed-SIMD FMA, 128-bit SIMD, plain scalar. */
export type WasmVariant = 'relaxed' | 'simd' | 'scalar';
export const WASM_VARIANTS: readonly WasmVariant[] = ['relaxed', 'simd', 'scalar'];

// Literal `new URL(..., import.meta.url)` calls, so bundlers see and copy each file.
const MODULE_URLS: Record<WasmVariant, () => URL> = {
  relaxed: () => new URL('../../wasm/sentvec-relaxed.wasm', import.meta.url),
  simd: () => new URL('../../wasm/sentvec-simd.wasm', import.meta.url),
  scalar: () => new URL('../../wasm/sentvec-scalar.wasm', import.meta.url),
};

// One-function modules, () -> v128, that validate only where the feature is supported:
// i8x16.splat for SIMD, and f32x4.relaxed_madd (0xfd 0x105) over three splats for relaxed SIMD.
const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00];
const SPLAT_ZERO = [0x41, 0x00, 0xfd, 0x0f];
function probe(instructions: number[]): boolean {
  const body = [0x00, ...instructions, 0x0b];
  return WebAssembly.validate(new Uint8Array([...HEADER, 0x0a, body.length + 2, 0x01, body.length, ...body]));
}
const SUPPORTED: Record<WasmVariant, () => boolean> = {
  relaxed: () => probe([...SPLAT_ZERO, ...SPLAT_ZERO, ...SPLAT_ZERO, 0xfd, 0x85, 0x02]),
  simd: () => probe(SPLAT_ZERO),
  scalar: () => true,
};

/** The variants this runtime can run, most capable first. */
export function supportedWasmVariants(): WasmVariant[] {
  return WASM_VARIANTS.filter((variant) => SUPPORTED[variant]());
}

/** The exports of asm/index.ts. Addresses are bytes into `memory`; 0 is an absent operand. */
interface AsmExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  embed(out: number, ids: number, positionIds: number, typeIds: number, words: number, positions: number, types: number,
    N: number, C: number): void;
  packedLinearFloats(N: number, K: number): number;
  packLinear(packed: number, weight: number, N: number, K: number): void;
  linearScratchFloats(K: number): number;
  packedLinearI8Bytes(N: number, K: number): number;
  packLinearI8(packed: number, weight: number, N: number, K: number): void;
  packQuantizedI8(packed: number, codes: number, scales: number, N: number, K: number): void;
  quantizedRowsBytes(M: number, K: number): number;
  linearI8(out: number, inp: number, weight: number, bias: number, residual: number,
    M: number, K: number, N: number, gelu: number, scratch: number): void;
  linear(out: number, inp: number, weight: number, bias: number, residual: number,
    M: number, K: number, N: number, gelu: number, scratch: number): void;
  layerNorm(out: number, inp: number, gamma: number, beta: number, M: number, C: number, eps: number): void;
  attentionScratchFloats(T: number, HS: number): number;
  attention(out: number, q: number, k: number, v: number, positionBias: number, lengths: number, scratch: number,
    B: number, T: number, NH: number, HS: number): void;
  pool(out: number, hidden: number, lengths: number, B: number, C: number, mode: number): void;
}

const PAGE_BYTES = 65536;
/** wasm32 addresses end at 4 GiB, whatever the runtime allows. */
const ADDRESS_SPACE_BYTES = 65536 * PAGE_BYTES;
// A cache line: v128 loads of a row start never straddle one, and blocks stay few and large.
const ALIGN_BYTES = 64;

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

interface Hole {
  at: number;
  bytes: number;
}

/**
 * Linear memory above the module's static data: best-fit over a sorted, coalescing list of freed
 * blocks, else bump at the top, growing the memory only when neither fits. A forward pass that
 * allocates and frees the same sizes every time therefore reuses the same blocks and never grows.
 */
class Heap {
  private readonly live = new Map<number, { bytes: number; floats: number; views?: number[] }>();
  // Views inside live blocks, by address: the floats each holds. A view at a block's start is the
  // block's own address, so there the block's length is what bounds it.
  private readonly views = new Map<number, number>();
  private readonly holes: Hole[] = [];
  private top: number;
  private inUse = 0;

  constructor(private readonly memory: WebAssembly.Memory, heapBase: number) {
    this.top = Math.ceil(Math.max(heapBase, ALIGN_BYTES) / ALIGN_BYTES) * ALIGN_BYTES;
  }

  allocate(floats: number): number {
    const bytes = Math.max(ALIGN_BYTES, Math.ceil((floats * 4) / ALIGN_BYTES) * ALIGN_BYTES);
    const at = this.reuse(bytes) ?? this.bump(bytes);
    this.live.set(at, { bytes, floats });
    this.inUse += bytes;
    return at;
  }

  view(at: number, offset: number, floats: number): number {
    const block = this.live.get(at);
    if (!block) throw new Error(`sentvec wasm: view of ${at}, which is not a live buffer of this backend`);
    if (offset + floats > block.floats) throw new Error(`sentvec wasm: view of floats ${offset}..${offset + floats} of a buffer of ${block.floats}`);
    if (offset === 0) return at;
    const viewAt = at + offset * 4;
    this.views.set(viewAt, floats);
    (block.views ??= []).push(viewAt);
    return viewAt;
  }

  release(at: number): void {
    const block = this.live.get(at);
    if (!block) throw new Error(`sentvec wasm: free of ${at}, which is not a live buffer of this backend`);
    for (const viewAt of block.views ?? []) this.views.delete(viewAt);
    this.live.delete(at);
    this.inUse -= block.bytes;
    let index = this.holes.findIndex((hole) => hole.at > at);
    if (index < 0) index = this.holes.length;
    this.holes.splice(index, 0, { at, bytes: block.bytes });
    const next = this.holes[index + 1];
    if (next && at + block.bytes === next.at) {
      this.holes[index].bytes += next.bytes;
      this.holes.splice(index + 1, 1);
    }
    const previous = this.holes[index - 1];
    if (previous && previous.at + previous.bytes === at) {
      previous.bytes += this.holes[index].bytes;
      this.holes.splice(index, 1);
    }
    const last = this.holes[this.holes.length - 1];
    if (last.at + last.bytes === this.top) {
      this.top = last.at;
      this.holes.pop();
    }
  }

  floats(at: number): number {
    const floats = this.live.get(at)?.floats ?? this.views.get(at);
    if (floats === undefined) throw new Error(`sentvec wasm: ${at} is not a live buffer of this backend`);
    return floats;
  }

  stats(): { reserved: number; inUse: number } {
    return { reserved: this.memory.buffer.byteLength, inUse: this.inUse };
  }

  private reuse(bytes: number): number | undefined {
    let best = -1;
    for (let i = 0; i < this.holes.length; i++) {
      if (this.holes[i].bytes >= bytes && (best < 0 || this.holes[i].bytes < this.holes[best].bytes)) best = i;
    }
    if (best < 0) return undefined;
    const hole = this.holes[best];
    const at = hole.at;
    if (hole.bytes === bytes) this.holes.splice(best, 1);
    else {
      hole.at += bytes;
      hole.bytes -= bytes;
    }
    return at;
  }

  private bump(bytes: number): number {
    const at = this.top;
    const end = at + bytes;
    const failure = (why: string) => new Error(
      `sentvec wasm: cannot allocate ${mib(bytes)} with ${mib(this.inUse)} already in use: ${why}`);
    if (end > ADDRESS_SPACE_BYTES) throw failure('WebAssembly linear memory ends at 4 GiB');
    const reserved = this.memory.buffer.byteLength;
    if (end > reserved) {
      const pages = Math.ceil((end - reserved) / PAGE_BYTES);
      try {
        this.memory.grow(pages);
      } catch (error) {
        throw failure(`growing linear memory from ${mib(reserved)} to ${mib(reserved + pages * PAGE_BYTES)} failed (${(error as Error).message})`);
      }
    }
    this.top = end;
    return at;
  }
}

/** A Linear weight packed into asm's panel layout at `packed` in linear memory. */
class WasmLinearWeight implements LinearWeight {
  constructor(readonly packed: number, readonly N: number, readonly K: number, readonly format: WeightFormat) {}
}

/** The wasm kernels, plus which module was chosen and how much memory it holds. */
export interface WasmKernels extends Kernels<number> {
  readonly variant: WasmVariant;
  /** Bytes of linear memory reserved from the runtime, and bytes held by live buffers. */
  memoryStats(): { reserved: number; inUse: number };
}

/** Modules compiled by the host, by variant: `import simd from 'sentvec/wasm/sentvec-simd.wasm'` on Workers. */
export type WasmModules = Partial<Record<WasmVariant, WebAssembly.Module>>;

export interface WasmOptions {
  /** Forces one module; otherwise $SENTVEC_WASM, otherwise the most capable one that validates. */
  variant?: WasmVariant;
  /**
   * Instantiate these instead of reading and compiling dist/wasm/ (which Cloudflare Workers and
   * Vercel's edge forbid): the most capable variant given that validates here.
   */
  modules?: WasmModules;
}

function chooseVariant(options: WasmOptions): WasmVariant {
  const fromEnvironment = typeof process === 'undefined' ? undefined : process.env.SENTVEC_WASM;
  const requested = options.variant ?? (fromEnvironment || undefined);
  const given = options.modules && WASM_VARIANTS.filter((variant) => options.modules![variant] !== undefined);
  const supported = supportedWasmVariants().filter((variant) => given?.includes(variant) ?? true);
  if (supported.length === 0) {
    throw new Error(`none of the wasm modules given (${given!.join(', ') || 'none'}) validates in this runtime; it supports: ${supportedWasmVariants().join(', ')}`);
  }
  if (requested === undefined) return supported[0];
  const origin = options.variant ? 'requested' : 'from SENTVEC_WASM';
  if (!(WASM_VARIANTS as readonly string[]).includes(requested)) {
    throw new Error(`unknown wasm variant '${requested}' (${origin}); valid variants: ${WASM_VARIANTS.join(', ')}`);
  }
  if (!supported.includes(requested as WasmVariant)) {
    throw new Error(`wasm variant '${requested}' (${origin}) does not validate in this runtime${given ? ' or was not given' : ''}; available: ${supported.join(', ')}`);
  }
  return requested as WasmVariant;
}

async function moduleBytes(url: URL): Promise<BufferSource> {
  const isNode = typeof process !== 'undefined' && process.versions?.node !== undefined;
  if (isNode) {
    // fetch() cannot read file: URLs in Node
    const { readFile } = await import('node:fs/promises');
    return readFile(url);
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`fetching ${url.href} failed: HTTP ${response.status}`);
  return response.arrayBuffer();
}

async function instantiate(variant: WasmVariant, modules?: WasmModules): Promise<WebAssembly.Instance> {
  const given = modules?.[variant];
  if (given) return WebAssembly.instantiate(given, {});
  const url = MODULE_URLS[variant]();
  let bytes: BufferSource;
  try {
    bytes = await moduleBytes(url);
  } catch (error) {
    throw new Error(`the ${variant} kernels ${url.href} could not be read (run npm run build:wasm): ${(error as Error).message}`);
  }
  return (await WebAssembly.instantiate(bytes, {})).instance;
}

export async function loadWasmKernels(options: WasmOptions = {}): Promise<WasmKernels> {
  const variant = chooseVariant(options);
  const instance = await instantiate(variant, options.modules);
  const asm = instance.exports as unknown as AsmExports;
  const heap = new Heap(asm.memory, asm.heapBase());
  const floatsAt = (at: number, length: number) => new Float32Array(asm.memory.buffer, at, length);

  // Integer inputs live in linear memory only for the duration of one kernel call.
  const withInts = <R>(arrays: (Int32Array | null)[], count: number, run: (addresses: number[]) => R): R => {
    const addresses = arrays.map((data) => {
      if (data === null) return 0;
      const at = heap.allocate(count);
      new Int32Array(asm.memory.buffer, at, count).set(data.subarray(0, count));
      return at;
    });
    try {
      return run(addresses);
    } finally {
      for (const at of addresses) if (at !== 0) heap.release(at);
    }
  };

  const copyIn = (data: Float32Array): number => {
    const at = heap.allocate(data.length);
    floatsAt(at, data.length).set(data);
    return at;
  };

  const floatsFor = (bytes: number) => Math.ceil(bytes / 4);
  const allocatePacked = (N: number, K: number, format: WeightFormat): number =>
    heap.allocate(format === 'f32' ? asm.packedLinearFloats(N, K) : floatsFor(asm.packedLinearI8Bytes(N, K)));
  // The input block `linear` packs its rows into, kept at the largest size asked for so far.
  let scratch = { at: 0, floats: 0 };
  const linearScratch = (K: number): number => {
    const floats = asm.linearScratchFloats(K);
    if (floats > scratch.floats) {
      if (scratch.at !== 0) heap.release(scratch.at);
      scratch = { at: 0, floats: 0 };  // stays valid if the allocation below throws
      scratch = { at: heap.allocate(floats), floats };
    }
    return scratch.at;
  };

  return {
    name: 'wasm',
    variant,
    memoryStats: () => heap.stats(),

    weight: copyIn,
    linearWeight(data, N, K, format) {
      // packed before the copy is taken, so the copy's block is the one freed at the top
      const packed = allocatePacked(N, K, format);
      const source = copyIn(data);
      if (format === 'f32') asm.packLinear(packed, source, N, K);
      else asm.packLinearI8(packed, source, N, K);
      heap.release(source);
      return new WasmLinearWeight(packed, N, K, format);
    },
    quantizedLinearWeight(codes, scales, N, K) {
      const packed = allocatePacked(N, K, 'i8');
      const codesAt = heap.allocate(floatsFor(codes.length));
      new Int8Array(asm.memory.buffer, codesAt, codes.length).set(codes);
      const scalesAt = copyIn(scales);
      asm.packQuantizedI8(packed, codesAt, scalesAt, N, K);
      heap.release(scalesAt);
      heap.release(codesAt);
      return new WasmLinearWeight(packed, N, K, 'i8');
    },
    alloc: (length) => heap.allocate(length),
    free: (buffer) => heap.release(buffer),
    view: (buffer, offset, length) => heap.view(buffer, offset, length),
    write: (buffer, data) => floatsAt(buffer, data.length).set(data),
    read: (buffer, length) => floatsAt(buffer, length).slice(),
    length: (buffer) => heap.floats(buffer),

    embed(out, ids, positionIds, typeIds, words, positions, types, N, C) {
      withInts([ids, positionIds, typeIds], N, ([idsAt, positionIdsAt, typeIdsAt]) =>
        asm.embed(out, idsAt, positionIdsAt, typeIdsAt, words, positions, types ?? 0, N, C));
    },
    linear(out, inp, linearWeight, bias, residual, M, K, N, activation) {
      const weight = ownWeight('wasm', linearWeight, WasmLinearWeight);
      if (weight.N !== N || weight.K !== K) {
        throw new Error(`sentvec wasm linear: weight was made for N=${weight.N}, K=${weight.K}, not N=${N}, K=${K}`);
      }
      const gelu = activation === 'gelu' ? 1 : 0;
      if (weight.format === 'f32') {
        asm.linear(out, inp, weight.packed, bias, residual ?? 0, M, K, N, gelu, linearScratch(K));
        return;
      }
      const scratch = heap.allocate(floatsFor(asm.quantizedRowsBytes(M, K)));
      try {
        asm.linearI8(out, inp, weight.packed, bias, residual ?? 0, M, K, N, gelu, scratch);
      } finally {
        heap.release(scratch);
      }
    },
    layerNorm(out, inp, gamma, beta, M, C, eps) {
      asm.layerNorm(out, inp, gamma, beta, M, C, eps);
    },
    attention(out, q, k, v, positionBias, lengths, B, T, NH, HS) {
      const scratch = heap.allocate(asm.attentionScratchFloats(T, HS));
      try {
        withInts([lengths], B, ([lengthsAt]) =>
          asm.attention(out, q, k, v, positionBias ?? 0, lengthsAt, scratch, B, T, NH, HS));
      } finally {
        heap.release(scratch);
      }
    },
    pool(out, hidden, lengths, B, C, mode) {
      withInts([lengths], B, ([lengthsAt]) => asm.pool(out, hidden, lengthsAt, B, C, POOL_MODES.indexOf(mode)));
    },
  };
}
