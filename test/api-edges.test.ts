// Edges of the API and the command: null options, encode after close on every backend, and a
// CLI whose output goes away (a closed pipe, a full disk) exits with one line at most, never a
// stack trace.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test from 'tape';
import { load } from '../src/index.js';
import { checkpointDir, errorMessage, projectRoot } from './fixtures.js';

const cli = path.join(projectRoot, 'dist', 'src', 'cli.js');
const minilm = checkpointDir('all-MiniLM-L6-v2');

for (const backend of ['native', 'wasm', 'js']) {
  test(`${backend}: encode(texts, null) uses the defaults; encode after close() rejects`, async (t) => {
    const model = await load(minilm, { backend });
    const [withNull] = await model.encode(['A man is playing a harp.'], null as unknown as undefined);
    const [plain] = await model.encode(['A man is playing a harp.']);
    t.deepEqual(Array.from(withNull), Array.from(plain), 'null options are the defaults');
    t.match(await errorMessage(model.encode(['x'], 5 as unknown as undefined)), /TypeError: encode: options must be an object, got number/,
      'options of the wrong type');
    await model.close();
    t.match(await errorMessage(model.encode(['x'])), /the model was closed/, 'encode after close');
    await model.close();
    t.pass('close twice');
  });
}

/** Runs the CLI over `lines` texts; `output` decides where stdout goes. */
function runCli(lines: number, stdout: 'pipe' | number): Promise<{ status: number | null; stderr: string; child: ReturnType<typeof spawn> }> {
  const child = spawn(process.execPath, [cli, 'embed', '--model', minilm, '--backend', 'wasm'], { stdio: ['pipe', stdout, 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  child.stdin!.end(Array.from({ length: lines }, (_, i) => `sentence number ${i}`).join('\n'));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stderr, child })));
}

test('sentvec embed | head -1: a reader that stops early ends the command quietly with status 0', async (t) => {
  const child = spawn(process.execPath, [cli, 'embed', '--model', minilm, '--backend', 'wasm', '--batch-size', '4'],
    { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  child.stdout.once('data', () => child.stdout.destroy());
  child.stdin.end(Array.from({ length: 2000 }, (_, i) => `sentence number ${i}`).join('\n'));
  const status = await new Promise((resolve) => child.on('close', resolve));
  t.equal(status, 0, 'status 0');
  t.equal(stderr, '', 'nothing on stderr');
});

test('sentvec embed > /dev/full: one line on stderr, status 1', async (t) => {
  const full = fs.openSync('/dev/full', 'w');
  const { status, stderr } = await runCli(50, full);
  fs.closeSync(full);
  t.equal(status, 1, 'status 1');
  t.match(stderr, /^sentvec: cannot write the output: .*ENOSPC.*\n$/, `one line: ${JSON.stringify(stderr.slice(0, 200))}`);
});
