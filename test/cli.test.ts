// The sentvec command: one result per input line in input order (JSON lines, npy or raw float32),
// models by folder or by name through a loopback hub, a progress bar only on a terminal, and
// one-line errors with a non-zero exit.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'tape';
import { load } from '../src/index.js';
import { checkpointDir, projectRoot, stsTestSentences } from './fixtures.js';
import { LoopbackHub, folderFiles } from './hub-server.js';
import { maxAbsDifference, tinyDir, tinyGolden } from './tiny-fixtures.js';

const cli = path.join(projectRoot, 'dist', 'src', 'cli.js');
const minilm = checkpointDir('all-MiniLM-L6-v2');

const DEFAULT_REPO = 'sentence-transformers/all-MiniLM-L6-v2';
const COMMIT = 'c11c11c11c11c11c11c11c11c11c11c11c11c11c';

/** Runs the command without blocking this process, which may be serving the hub it talks to. */
function run(args: string[], input = '', env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, timeout: 120_000 });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
  child.stdin.end(input);
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

test('sentvec embed writes the vectors encode() returns, one line per text', async (t) => {
  const texts = ['A girl is styling her hair.', 'A man is playing a harp.', ''];
  const result = await run(['embed', '--model', minilm, '--backend', 'js'], texts.join('\n') + '\n');
  t.equal(result.status, 0, `exit 0 ${result.stderr}`);
  const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as number[]);
  const expected = await (await load(minilm, { backend: 'js' })).encode(texts);
  t.equal(lines.length, texts.length, `${lines.length} lines`);
  t.deepEqual(lines, expected.map((vector) => Array.from(vector)), 'same numbers as the API');
});

test('sentvec embed --dtype int8 writes the vectors an int8 load encodes; a bad dtype is one line', async (t) => {
  const texts = ['A girl is styling her hair.', 'A man is playing a harp.'];
  const result = await run(['embed', '--model', minilm, '--dtype', 'int8'], texts.join('\n') + '\n');
  t.equal(result.status, 0, `exit 0 ${result.stderr}`);
  const model = await load(minilm, { dtype: 'int8' });
  const expected = await model.encode(texts);
  await model.close();
  t.deepEqual(result.stdout.trim().split('\n').map((line) => JSON.parse(line)), expected.map((vector) => Array.from(vector)),
    'same numbers as load(…, { dtype: \'int8\' })');
  const bad = await run(['embed', '--model', minilm, '--dtype', 'int4'], 'x\n');
  t.equal(bad.status, 1, 'exit 1');
  t.match(bad.stderr, /^sentvec: dtype 'int4' is not a precision sentvec runs \(fp32, int8\)\n$/, bad.stderr.trim());
});

test('sentvec embed --prompt-name and --truncate-dim give what sentence-transformers gives', async (t) => {
  const golden = tinyGolden<{ texts: string[]; calls: { options: Record<string, unknown>; vectors: number[][] }[] }>('bert-dense-prompts');
  const query = golden.calls.find((call) => call.options.prompt_name === 'query')!;
  const model = tinyDir('bert-dense-prompts');
  const result = await run(['embed', '--model', model, '--backend', 'js', '--prompt-name', 'query', '--truncate-dim', '8'], golden.texts.join('\n') + '\n');
  t.equal(result.status, 0, `exit 0 ${result.stderr}`);
  const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as number[]);
  const worst = maxAbsDifference(lines, query.vectors.map((vector) => vector.slice(0, 8)));
  t.ok(worst <= 1e-5, `${lines.length} texts × ${lines[0].length}: max |Δ| ${worst.toExponential(2)} from encode(prompt_name="query")[:8]`);
  const unknown = await run(['embed', '--model', model, '--backend', 'js', '--prompt-name', 'search'], 'x\n');
  t.equal(unknown.stderr, 'sentvec: encode: prompt name "search" is not one of the model\'s prompts ("query", "document", "classification")\n',
    unknown.stderr.trim());
  const wide = await run(['embed', '--model', model, '--backend', 'js', '--truncate-dim', '17'], 'x\n');
  t.match(wide.stderr, /^sentvec: load: truncateDim must be an integer in 1\.\.16/, wide.stderr.trim());
});

test('sentvec tokenize writes ids, from --input FILE', async (t) => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sentvec-cli-')), 'texts.txt');
  fs.writeFileSync(file, 'Hello world\n');
  const result = await run(['tokenize', '--model', minilm, '--input', file]);
  fs.rmSync(path.dirname(file), { recursive: true });
  t.equal(result.status, 0, 'exit 0');
  t.deepEqual(JSON.parse(result.stdout), [101, 7592, 2088, 102], 'ids of "Hello world"');
});

test('sentvec fails with one line and a non-zero exit on bad use', async (t) => {
  const cases: [string[], RegExp][] = [
    [['embed', '--model', minilm, '--colour', 'red'], /unknown flag '--colour' for embed/],
    [['download'], /download needs a model name/],
    [['embed', '--model', minilm, '--format', 'csv'], /--format must be one of jsonl, npy, f32/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['embed', '--model', '/nonexistent'], /model folder \/nonexistent does not exist/],
    [['embed', '--model', minilm, '--format', 'npy', '--backend', 'js'], /--format npy needs a file to write to/],
    [['embed', '--model', minilm, '--input', '/nonexistent/texts.txt', '--backend', 'js'], /cannot read \/nonexistent\/texts\.txt/],
    [['embed', '--model', minilm, '--backend', 'gpu'], /unknown backend 'gpu'/],
    [['embed', '--model', minilm, '--batch-size', '0'], /--batch-size must be a positive integer/],
    [['embed', '--model', minilm, '--truncate-dim', '1.5'], /--truncate-dim must be a positive integer, got '1\.5'/],
    [['embed', '--model', minilm, '--prompt', 'a: ', '--prompt-name', 'query'], /give --prompt or --prompt-name, not both/],
  ];
  for (const [args, pattern] of cases) {
    const result = await run(args);
    t.ok(result.status !== 0 && result.status !== null, `${args.join(' ')}: exit ${result.status}`);
    t.match(result.stderr, pattern, `message: ${result.stderr.trim()}`);
    t.equal(result.stderr.trim().split('\n').length, 1, 'one line');
  }
});

test('sentvec embed --format npy and f32, --output FILE: the same floats, in input order across chunks', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sentvec-cli-'));
  // 70 texts at batch size 2 make three chunks of 32 lines
  const texts = stsTestSentences().slice(0, 70);
  const expected = await (await load(minilm, { backend: 'js' })).encode(texts);
  const input = path.join(dir, 'texts.txt');
  fs.writeFileSync(input, texts.join('\r\n'));
  for (const format of ['npy', 'f32']) {
    const output = path.join(dir, `vectors.${format}`);
    const result = await run(['embed', '--model', minilm, '--backend', 'js', '--batch-size', '2', '--input', input, '--output', output, '--format', format]);
    t.equal(result.status, 0, `${format}: exit 0 ${result.stderr}`);
    t.equal(result.stderr, '', `${format}: no progress bar when stderr is not a terminal`);
    const bytes = fs.readFileSync(output);
    let offset = 0;
    if (format === 'npy') {
      const headerLength = bytes.readUInt16LE(8);
      const header = bytes.subarray(10, 10 + headerLength).toString('latin1');
      t.equal(bytes.subarray(0, 6).toString('latin1'), '\x93NUMPY', 'npy magic');
      t.match(header, /^\{'descr': '<f4', 'fortran_order': False, 'shape': \(70, 384\), \} *\n$/, `npy header ${header.trim()}`);
      t.equal((10 + headerLength) % 64, 0, 'data starts on a 64-byte boundary, as numpy aligns it');
      offset = 10 + headerLength;
    }
    const floats = new Float32Array(bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + bytes.length));
    t.equal(floats.length, 70 * 384, `${format}: 70 × 384 floats`);
    t.deepEqual(Array.from(floats), expected.flatMap((vector) => Array.from(vector)), `${format}: the vectors encode() returns, in order`);
  }
  fs.rmSync(dir, { recursive: true });
});

test('sentvec embed draws a progress bar with texts/s and ETA when stderr is a terminal', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sentvec-cli-'));
  const input = path.join(dir, 'texts.txt');
  fs.writeFileSync(input, stsTestSentences().slice(0, 200).join('\n'));
  // script(1) runs the command on a pseudo-terminal and copies what it shows into the typescript file
  const typescript = path.join(dir, 'typescript');
  const command = [process.execPath, cli, 'embed', '--model', minilm, '--input', input, '--output', path.join(dir, 'out.jsonl')]
    .map((word) => `'${word}'`).join(' ');
  const result = spawnSync('script', ['-qec', command, typescript], { encoding: 'utf8', timeout: 120_000 });
  t.equal(result.status, 0, `exit 0 ${result.stderr}`);
  const shown = fs.readFileSync(typescript, 'utf8');
  const last = shown.split('\r').filter((line) => line.includes('texts/s')).at(-1) ?? '';
  t.match(last, /\[#{24}\] 100%  200 texts  [\d,]+ texts\/s  ETA 0:00/, `bar: ${last.replace(/\x1b\[K/g, '').trim()}`);
  t.equal(fs.readFileSync(path.join(dir, 'out.jsonl'), 'utf8').trim().split('\n').length, 200, '200 vectors written');
  fs.rmSync(dir, { recursive: true });
  t.end();
});

test('sentvec download NAME and --model NAME through the hub; no --model means all-MiniLM-L6-v2', async (t) => {
  const hub = await LoopbackHub.start([{ id: DEFAULT_REPO, commits: { [COMMIT]: folderFiles(minilm) }, refs: { main: COMMIT } }]);
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'sentvec-cli-cache-'));
  const env = { HF_ENDPOINT: hub.endpoint, HF_HUB_CACHE: cache };
  try {
    const downloaded = await run(['download', 'all-MiniLM-L6-v2', '--revision', 'main'], '', env);
    t.equal(downloaded.status, 0, `download: exit 0 ${downloaded.stderr}`);
    t.equal(downloaded.stdout, `${path.join(cache, 'models--sentence-transformers--all-MiniLM-L6-v2', 'snapshots', COMMIT)}\n`, 'prints the snapshot folder');
    const texts = ['A girl is styling her hair.', 'A man is playing a harp.'];
    const expected = (await (await load(minilm, { backend: 'js' })).encode(texts)).map((vector) => Array.from(vector));
    hub.requests.length = 0;
    for (const args of [['--model', DEFAULT_REPO], []]) {
      const result = await run(['embed', ...args, '--backend', 'js'], texts.join('\n'), { ...env, HF_HUB_OFFLINE: '1' });
      t.equal(result.status, 0, `embed ${args.join(' ') || 'with no --model'}: exit 0 ${result.stderr}`);
      t.deepEqual(result.stdout.trim().split('\n').map((line) => JSON.parse(line)), expected, `embed ${args.join(' ') || 'with no --model'}: the model's vectors`);
    }
    t.equal(hub.requests.length, 0, 'offline, from the cache');
    const missing = await run(['download', 'acme/nothing-here'], '', env);
    t.ok(missing.status === 1 && /^sentvec: no repo acme\/nothing-here on http/.test(missing.stderr), `missing repo: ${missing.stderr.trim()}`);
  } finally {
    await hub.close();
    fs.rmSync(cache, { recursive: true });
  }
});

test("README's main job: sentvec embed with no --model, offline, from the hub cache weights/fetch.sh filled", async (t) => {
  const texts = ['A girl is styling her hair.', 'A man is playing a harp.'];
  const expected = (await (await load(minilm, { backend: 'js' })).encode(texts)).map((vector) => Array.from(vector));
  const result = await run(['embed', '--backend', 'js'], texts.join('\n'), { HF_HUB_OFFLINE: '1' });
  t.equal(result.status, 0, `exit 0 ${result.stderr}`);
  t.deepEqual(result.stdout.trim().split('\n').map((line) => JSON.parse(line)), expected, 'the all-MiniLM-L6-v2 vectors');
});
