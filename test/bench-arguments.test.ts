// sentvec bench's arguments: defaults that fit a quick run, lists checked against the valid
// values, and one-line usage errors with exit code 2.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import test from 'tape';
import { parseBenchArguments } from '../src/bench/main.js';
import { projectRoot } from './fixtures.js';

test('sentvec bench: defaults, lists, and the quick matrix', (t) => {
  const parsed = parseBenchArguments(['--model', 'some/folder']);
  if (!('settings' in parsed)) throw new Error('expected settings');
  const { settings } = parsed;
  t.deepEqual(settings.backends, ['native', 'wasm', 'js'], 'every backend by default');
  t.deepEqual(settings.dtypes, ['fp32', 'int8'], 'both dtypes by default');
  t.equal(settings.threads[0], 1, 'one thread first');
  t.deepEqual(settings.batches, [1, 8, 32, 128], 'the batch sizes of the issue');
  t.ok(settings.kernels && settings.models, 'both suites');
  t.equal(settings.model, 'some/folder', 'the model string is passed through as given');
  const chosen = parseBenchArguments(['--backend', 'wasm', '--dtype', 'int8', '--threads', '2', '--kernels-only', '--json']);
  if (!('settings' in chosen)) throw new Error('expected settings');
  t.deepEqual([chosen.settings.backends, chosen.settings.dtypes, chosen.settings.threads, chosen.settings.models, chosen.json],
    [['wasm'], ['int8'], [2], false, true], 'explicit lists and switches');
  t.deepEqual(parseBenchArguments(['--compare', 'a.json', 'b.json']), { compare: ['a.json', 'b.json'] }, '--compare takes two files');
  t.end();
});

test('sentvec bench: usage errors are one line and exit 2', (t) => {
  const cli = path.join(projectRoot, 'dist', 'src', 'cli.js');
  const cases: [string[], RegExp][] = [
    [['--threads', '0'], /--threads: '0' is not a list of thread counts/],
    [['--backend', 'cuda'], /--backend: 'cuda' is not one of native, wasm, js/],
    [['--batches', '8,x'], /--batches: '8,x' is not a list of batch sizes/],
    [['--model-only'], /--model-only needs --model DIR/],
    [['--compare', 'a.json'], /--compare takes two report files/],
    [['--kernels-only', '--model-only', '--model', 'x'], /exclude each other/],
  ];
  for (const [args, message] of cases) {
    const run = spawnSync(process.execPath, [cli, 'bench', ...args], { encoding: 'utf8' });
    t.equal(run.status, 2, `${args.join(' ')}: exit 2`);
    t.match(run.stderr, message, `${args.join(' ')}: says why`);
    t.equal(run.stderr.trim().split('\n').length, 1, `${args.join(' ')}: one line`);
  }
  t.end();
});
