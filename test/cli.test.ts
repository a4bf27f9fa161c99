// The sentvec command: one JSON array per input line, and one-line errors with a non-zero exit.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'tape';
import { load } from '../src/index.js';
import { checkpointDir, projectRoot } from './fixtures.js';

const cli = path.join(projectRoot, 'dist', 'src', 'cli.js');
const minilm = checkpointDir('all-MiniLM-L6-v2');

function run(args: string[], input = '') {
  const result = spawnSync(process.execPath, [cli, ...args], { input, encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('sentvec embed writes the vectors encode() returns, one line per text', async (t) => {
  const texts = ['A girl is styling her hair.', 'A man is playing a harp.', ''];
  const result = run(['embed', '--model', minilm, '--backend', 'js'], texts.join('\n') + '\n');
  t.equal(result.status, 0, `exit 0 ${result.stderr}`);
  const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as number[]);
  const expected = await (await load(minilm, { backend: 'js' })).encode(texts);
  t.equal(lines.length, texts.length, `${lines.length} lines`);
  t.deepEqual(lines, expected.map((vector) => Array.from(vector)), 'same numbers as the API');
});

test('sentvec tokenize writes ids, from --input FILE', (t) => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sentvec-cli-')), 'texts.txt');
  fs.writeFileSync(file, 'Hello world\n');
  const result = run(['tokenize', '--model', minilm, '--input', file]);
  fs.rmSync(path.dirname(file), { recursive: true });
  t.equal(result.status, 0, 'exit 0');
  t.deepEqual(JSON.parse(result.stdout), [101, 7592, 2088, 102], 'ids of "Hello world"');
  t.end();
});

test('sentvec fails with one line and a non-zero exit on bad use', (t) => {
  const cases: [string[], RegExp][] = [
    [['embed', '--model', minilm, '--colour', 'red'], /unknown flag '--colour' for embed/],
    [['embed'], /--model DIR is required/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['embed', '--model', '/nonexistent'], /model folder \/nonexistent does not exist/],
    [['embed', '--model', minilm, '--input', '/nonexistent/texts.txt', '--backend', 'js'], /cannot read \/nonexistent\/texts\.txt/],
    [['embed', '--model', minilm, '--backend', 'gpu'], /unknown backend 'gpu'/],
    [['embed', '--model', minilm, '--batch-size', '0'], /--batch-size must be a positive integer/],
  ];
  for (const [args, pattern] of cases) {
    const result = run(args);
    t.ok(result.status !== 0 && result.status !== null, `${args.join(' ')}: exit ${result.status}`);
    t.match(result.stderr, pattern, `message: ${result.stderr.trim()}`);
    t.equal(result.stderr.trim().split('\n').length, 1, 'one line');
  }
  t.end();
});
