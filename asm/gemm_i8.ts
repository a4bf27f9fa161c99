// int8 Linear, as src/backend/int8.ts defines it: along K, every block of BLOCK weights of an
// output channel and every block of BLOCK activations of a row become codes in -127..127 with
// scale max|x| / 127 (ties rounded to even), and out = Σ_b aScale·wScale·Σ_k∈b codes·codes, each
// block's sum exact in i32. A weight is packed once at load (packLinearI8): its codes (N, paddedK)
// then its scales (N, blocks). Each call quantizes its rows into the scratch the same way, then
// fills the float32 kernel's TILE, TILE_ROWS rows by PANEL columns, and ends in its epilogue.
// Plain loops in every build so far: the codes are identical by construction in each.

import { epilogue, PANEL, TILE, TILE_ROWS } from './gemm';

const BLOCK: i32 = 32;
const CODE_MAX: f32 = 127;

// @ts-ignore: decorator
@inline function paddedK(K: i32): i32 {
  return (K + BLOCK - 1) / BLOCK * BLOCK;
}

// @ts-ignore: decorator
@inline function columnsOf(N: i32): i32 {
  return (N + PANEL - 1) / PANEL * PANEL;
}

/** Bytes a weight (N,K) packed by packLinearI8 takes. */
export function packedLinearI8Bytes(N: i32, K: i32): f64 {
  return <f64>columnsOf(N) * <f64>(paddedK(K) + (paddedK(K) / BLOCK << 2));
}

/** Bytes of the scratch linearI8 quantizes M rows of K activations into. */
export function quantizedRowsBytes(M: i32, K: i32): f64 {
  return <f64>M * <f64>(paddedK(K) + (paddedK(K) / BLOCK << 2));
}

// codes (rows, paddedK) and scales (rows, blocks) = values (rows, K) in blocks of BLOCK; rows from
// `rows` to `padRows` get zero codes and scales.
function quantizeBlocks(codes: usize, scales: usize, values: usize, rows: i32, padRows: i32, K: i32): void {
  const padded = paddedK(K);
  const blocks = padded / BLOCK;
  memory.fill(codes, 0, <usize>padRows * <usize>padded);
  memory.fill(scales, 0, <usize>padRows * <usize>blocks << 2);
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < blocks; b++) {
      const begin = values + ((<usize>r * <usize>K + <usize>(b * BLOCK)) << 2);
      const count = min<i32>(BLOCK, K - b * BLOCK);
      let max: f32 = 0;
      for (let i = 0; i < count; i++) max = Mathf.max(max, Mathf.abs(load<f32>(begin + (<usize>i << 2))));
      if (max == 0) continue;
      const inverse: f32 = CODE_MAX / max;
      store<f32>(scales + ((<usize>r * <usize>blocks + <usize>b) << 2), max / CODE_MAX);
      const out = codes + <usize>r * <usize>padded + <usize>(b * BLOCK);
      for (let i = 0; i < count; i++) {
        const code = Mathf.min(Mathf.max(nearest<f32>(load<f32>(begin + (<usize>i << 2)) * inverse), -CODE_MAX), CODE_MAX);
        store<i8>(out + <usize>i, <i8>code);
      }
    }
  }
}

/** packed (packedLinearI8Bytes(N, K)) = weight (N,K) as int8 codes and scales, zero past row N. */
export function packLinearI8(packed: usize, weight: usize, N: i32, K: i32): void {
  const columns = columnsOf(N);
  quantizeBlocks(packed, packed + <usize>columns * <usize>paddedK(K), weight, N, columns, K);
}

/**
 * packed (packedLinearI8Bytes(N, K)) = codes (N,K) and scales (N, blocks) that quantizeBlocks
 * made earlier (a sentvec quantize checkpoint), laid out as packLinearI8 lays them, zero past row N.
 */
export function packQuantizedI8(packed: usize, codes: usize, scales: usize, N: i32, K: i32): void {
  const columns = columnsOf(N);
  const padded = paddedK(K);
  const blocks = padded / BLOCK;
  const packedScales = packed + <usize>columns * <usize>padded;
  memory.fill(packed, 0, <usize>columns * <usize>padded);
  memory.fill(packedScales, 0, <usize>columns * <usize>blocks << 2);
  for (let n = 0; n < N; n++) memory.copy(packed + <usize>n * <usize>padded, codes + <usize>n * <usize>K, <usize>K);
  memory.copy(packedScales, scales, <usize>N * <usize>blocks << 2);
}

/**
 * out (M,N) = activation(inp (M,K) · weight (N,K)ᵀ + bias) + residual, weight from packLinearI8,
 * scratch of quantizedRowsBytes(M, K); residual 0 adds nothing and may equal out.
 */
export function linearI8(
  out: usize, inp: usize, weight: usize, bias: usize, residual: usize,
  M: i32, K: i32, N: i32, useGelu: bool, scratch: usize,
): void {
  const padded = paddedK(K);
  const blocks = padded / BLOCK;
  const rowScales = scratch + <usize>M * <usize>padded;
  const weightScales = weight + <usize>columnsOf(N) * <usize>padded;
  quantizeBlocks(scratch, rowScales, inp, M, M, K);
  for (let m = 0; m < M; m += TILE_ROWS) {
    const rows = min<i32>(TILE_ROWS, M - m);
    for (let n = 0; n < N; n += PANEL) {
      const cols = min<i32>(PANEL, N - n);
      for (let r = 0; r < rows; r++) {
        const a = scratch + <usize>(m + r) * <usize>padded;
        for (let c = 0; c < cols; c++) {
          const w = weight + <usize>(n + c) * <usize>padded;
          let sum: f32 = 0;
          for (let b = 0; b < blocks; b++) {
            let acc: i32 = 0;
            const at = <usize>(b * BLOCK);
            for (let k = 0; k < BLOCK; k++) acc += <i32>load<i8>(a + at + <usize>k) * <i32>load<i8>(w + at + <usize>k);
            const scale = load<f32>(rowScales + ((<usize>(m + r) * <usize>blocks + <usize>b) << 2)) *
              load<f32>(weightScales + ((<usize>(n + c) * <usize>blocks + <usize>b) << 2));
            sum += <f32>acc * scale;
          }
          store<f32>(TILE + (<usize>(r * PANEL + c) << 2), sum);
        }
      }
      epilogue(out, bias, residual, m, n, rows, cols, N, useGelu);
    }
  }
}
