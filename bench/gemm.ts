// npm run bench:gemm: every native kernel at every ISA level this CPU runs and at 1 and every
// thread, GFLOP/s beside that level's measured FMA peak; `sentvec bench --backend native
// --kernels-only` at two models' shapes, sampled longer (bench/common.ts).
import { kernelBench } from './common.js';

await kernelBench('native');
