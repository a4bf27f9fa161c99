// The scratch a model keeps between passes: it covers every pass it serves, grows in steps rather
// than to each pass's exact size, and is not kept for passes too large to keep.
import test from 'tape';
import { jsKernels } from '../src/backend/js.js';
import type { Kernels } from '../src/backend/kernels.js';
import { ActivationStore, scratchRows, type EncoderShape } from '../src/models/transformer.js';

const SHAPE: EncoderShape = { C: 8, NH: 2, HS: 4, F: 32, layers: 1, eps: 1e-12 };

test('scratchRows: at least M, at most 1.5 M, exact above the kept limit, never shrinking with M', (t) => {
  let previous = 0;
  const bad: string[] = [];
  for (let M = 1; M <= 5000; M++) {
    const rows = scratchRows(M);
    if (rows < M || rows > Math.ceil(1.5 * M) || rows < previous || (M > 2048 && rows !== M)) bad.push(`M=${M}: ${rows}`);
    previous = rows;
  }
  t.deepEqual(bad.slice(0, 5), [], 'every M from 1 to 5000');
  t.equal(scratchRows(2048), 2048, 'the limit itself is kept exactly');
  t.end();
});

test('ActivationStore: a stream of slowly growing passes reallocates a few times, each pass sized for its M', (t) => {
  const allocated: number[] = [];
  const kernels: Kernels<Float32Array> = { ...jsKernels, alloc: (length) => (allocated.push(length), jsKernels.alloc(length)) };
  const store = new ActivationStore(kernels, SHAPE);
  // the rows of int8 all-mpnet-base-v2's passes over the STS-B test set at batch 32, in order
  const passes = [301, 315, 323, 359, 412, 414, 422, 432, 437, 451, 844, 925, 935];
  const tooSmall: string[] = [];
  for (const M of passes) {
    const hidden = store.run(M, (act) => {
      if (act.rows < M || act.q.length < M * SHAPE.C || act.intermediate.length < M * SHAPE.F) tooSmall.push(`M=${M}: ${act.rows} rows`);
    });
    if (hidden.length !== M * SHAPE.C) tooSmall.push(`M=${M}: hidden holds ${hidden.length}`);
  }
  store.release();
  t.deepEqual(tooSmall, [], 'every pass ran on scratch that holds its rows, and got hidden states of its own size');
  // each pass allocates its hidden states; each new set of scratch, six buffers more
  const sets = (allocated.length - passes.length) / 6;
  t.ok(sets >= 1 && sets <= 4, `${sets} sets of scratch for ${passes.length} passes (one per growing pass when sized exactly)`);
  t.end();
});
