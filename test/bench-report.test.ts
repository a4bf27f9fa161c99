// The bench core on tiny settings: a kernel suite at a toy shape on every backend here and a model
// suite on all-MiniLM-L6-v2 with two sentences, both sampled for milliseconds, must produce a
// report that its own schema check accepts and that survives JSON. No timing is asserted: only
// that every figure is there with its margin.
import test from 'tape';
import { parseReport, reportProblem } from '../src/bench/report.js';
import { runBench, SCHEMA, type BenchSettings } from '../src/bench/run.js';
import { checkpointDir } from './fixtures.js';

const TINY: BenchSettings = {
  model: checkpointDir('all-MiniLM-L6-v2'),
  backends: ['native', 'wasm', 'js'],
  dtypes: ['fp32', 'int8'],
  threads: [2],
  kernels: true,
  models: true,
  kernelSampling: { maxTime: 0.002, minTime: 0.0005, minSamples: 3 },
  modelSampling: { maxTime: 0.002, minTime: 0.0005, minSamples: 3 },
  kernelBatch: { B: 2, T: 4 },
  shape: { source: 'a toy encoder', C: 32, F: 64, NH: 4, V: 100, P: 16 },
  batches: [1, 2],
  coldRuns: 2,
  latencyQueries: 5,
  sentences: ['A man is playing a guitar.', 'Two dogs run through a field.'],
  sentencesSource: 'test',
};

const finite = (value: unknown) => typeof value === 'number' && Number.isFinite(value);

test('bench report: every kernel and model figure carries a margin, and the JSON passes the schema check', async (t) => {
  const report = await runBench(TINY);
  const reread = parseReport(JSON.stringify(report), 'report.json');
  t.equal(reread.schema, SCHEMA, 'schema tag');
  t.equal(reportProblem(reread), undefined, 'the schema check accepts it');
  t.ok(finite(reread.machine.loadBefore) && finite(reread.machine.loadAfter), 'load average before and after');

  const failed = reread.kernels.filter((row) => row.error !== undefined).map((row) => `${row.backend} ${row.variant} ${row.shape}: ${row.error}`);
  t.deepEqual(failed, [], 'every kernel case matches the reference and runs');
  const backends = new Set(reread.kernels.map((row) => row.backend));
  t.ok(backends.has('wasm') && backends.has('js'), `kernel rows for ${[...backends].join(', ')}`);
  t.ok(reread.kernels.every((row) => finite(row.hz?.value) && finite(row.hz?.rme) && row.hz!.samples >= 1 && row.checked <= 1),
    'calls/s with RME and samples, checked before timing, on every row');
  t.ok(reread.kernels.filter((row) => row.kernel === 'linear' || row.kernel === 'attention').every((row) => finite(row.gflops?.value) && finite(row.gflopsPerCpuSecond)),
    'GFLOP/s and GFLOP/CPU-s on every linear and attention row');
  const native = reread.kernels.filter((row) => row.backend === 'native');
  if (native.length > 0) {
    const levels = new Set(native.map((row) => row.variant));
    t.equal(reread.peaks.length, levels.size * TINY.threads.length, `an FMA peak per ISA level (${[...levels].join(', ')}) and thread count`);
    t.ok(native.filter((row) => row.kernel === 'linear' && row.shape.endsWith('f32')).every((row) => finite(row.percentOfPeak?.value)),
      '% of peak on every native f32 linear row');
  }

  t.equal(reread.models.length, backends.has('native') ? 4 : 2, 'a model row per backend and dtype');
  t.ok(reread.models.every((row) => row.threads === (row.backend === 'native' ? 2 : 1)), 'native rows at the thread count asked for, others at one');
  for (const row of reread.models) {
    const label = `${row.backend} ${row.dtype} ×${row.threads}`;
    t.equal(row.error, undefined, `${label}: ran`);
    t.deepEqual(row.batches?.map((cell) => cell.batch), TINY.batches, `${label}: a figure per batch size`);
    const figures = [row.coldStartMs, row.processToFirstVectorMs, row.peakRssMB, row.p50Ms, row.p99Ms, ...(row.batches ?? []).map((cell) => cell.sentencesPerSecond)];
    t.ok(figures.every((figure) => finite(figure?.value) && finite(figure?.rme)), `${label}: cold start, RSS, latency and sentences/s, each with its RME`);
  }
});

test('bench report: the schema check names what is missing', (t) => {
  t.match(reportProblem({ schema: 'other/1' } as never) ?? '', /schema is "other\/1"/, 'wrong schema tag');
  t.throws(() => parseReport('{"schema":"sentvec-bench/1","machine":{}}', 'x.json'), /x\.json: not a sentvec bench report: machine lacks/, 'no machine');
  t.throws(() => parseReport('not json', 'y.json'), /y\.json: not JSON/, 'not JSON');
  t.end();
});
