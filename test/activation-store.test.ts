// The scratch a model keeps between passes: it covers every pass it serves, grows in steps rather
// than to each pass's exact size, and is not kept for passes too large to keep; and the views of
// one buffer through which its buffers share storage.
import test from 'tape';
import { availableBackends } from '../src/backend/index.js';
import { jsKernels } from '../src/backend/js.js';
import { withShapeChecks, type Kernels } from '../src/backend/kernels.js';
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
  // each pass allocates its hidden states; each new set of scratch, two buffers more (the block
  // q, k, v, context and the intermediate share, and the residual)
  const sets = (allocated.length - passes.length) / 2;
  t.ok(sets >= 1 && sets <= 4, `${sets} sets of scratch for ${passes.length} passes (one per growing pass when sized exactly)`);
  t.end();
});

test('view: every backend aliases the floats it names, bounded by its buffer', async (t) => {
  for (const raw of await availableBackends()) {
    const k = withShapeChecks(raw as Kernels<unknown>);
    const buffer = k.alloc(40);
    const [first, second] = [k.view(buffer, 0, 20), k.view(buffer, 20, 20)];
    k.write(buffer, Float32Array.from({ length: 40 }, (_, i) => i));
    t.deepEqual([...k.read(second, 3)], [20, 21, 22], `${k.name}: a view reads its floats of the buffer`);
    k.write(first, new Float32Array([-1, -2]));
    t.deepEqual([...k.read(buffer, 3)], [-1, -2, 2], `${k.name}: writes through a view land in the buffer`);
    t.ok(k.length(second) >= 20, `${k.name}: a view holds its length`);
    t.throws(() => k.view(buffer, 30, 11), /view: buffer holds 40 floats, needs 41/, `${k.name}: a view past the end`);
    t.throws(() => k.view(buffer, -1, 4), /view: offset must be an integer ≥ 0, got -1/, `${k.name}: a negative offset`);
    k.free(buffer);
  }
});
