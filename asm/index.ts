// The module's exports, bound by src/backend/wasm.ts. Every buffer is a byte address in linear
// memory; 0 stands for an absent optional operand, as the JavaScript side never allocates there.

export { linear, linearScratchFloats, packedLinearFloats, packLinear } from './gemm';
export { linearI8, packedLinearI8Bytes, packLinearI8, packQuantizedI8, quantizedRowsBytes } from './gemm_i8';
export { layerNorm } from './layernorm';
export { attention, attentionScratchFloats } from './attention';
export { embed, pool } from './embed';

/** Where the module's static data ends: the JavaScript allocator hands out memory above it. */
export function heapBase(): usize {
  return __heap_base;
}
