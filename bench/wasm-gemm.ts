// npm run bench:wasm: every wasm kernel in each prebuilt module this runtime validates; `sentvec
// bench --backend wasm --kernels-only` at two models' shapes, sampled longer (bench/common.ts).
import { kernelBench } from './common.js';

await kernelBench('wasm');
