// A loaded model never depends on its files again: truncating or overwriting model.safetensors
// after load changes no vector and crashes nothing (it once died of SIGBUS on native, whose
// weights were views of a mapping of the file).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'tape';
import { load } from '../src/index.js';
import { checkpointDir } from './fixtures.js';

const minilm = checkpointDir('all-MiniLM-L6-v2');
const texts = ['A man is playing a flute.', 'Three dogs run across a snowy field while the sun sets behind the hills.'];

function copyOfMiniLM(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sentvec-changes-'));
  for (const entry of fs.readdirSync(minilm)) fs.cpSync(path.join(minilm, entry), path.join(dir, entry), { recursive: true });
  return dir;
}

const changes: [string, (file: string) => void][] = [
  ['truncated to 1 KB', (file) => fs.truncateSync(file, 1024)],
  ['overwritten in place with zeros', (file) => {
    const fd = fs.openSync(file, 'r+');
    const zeros = Buffer.alloc(1 << 20);
    for (let at = 0, size = fs.fstatSync(fd).size; at < size; at += zeros.length) fs.writeSync(fd, zeros, 0, Math.min(zeros.length, size - at), at);
    fs.closeSync(fd);
  }],
];

// native maps the file both in its worker and on the calling thread (worker: false)
const setups: [string, { backend: string; worker?: boolean }][] = [
  ['native', { backend: 'native' }], ['native, worker: false', { backend: 'native', worker: false }],
  ['wasm', { backend: 'wasm' }], ['js', { backend: 'js' }],
];

for (const [name, options] of setups) {
  const { backend } = options;
  test(`${name}: vectors stay the same when model.safetensors changes after load`, async (t) => {
    for (const [label, change] of changes) {
      const dir = copyOfMiniLM();
      try {
        const model = await load(dir, options);
        // long inputs touch many embedding rows, so any page still read from the file would show
        const many = Array.from({ length: backend === 'js' ? 6 : 64 }, (_, i) => `${texts[i % 2]} ${'word '.repeat(i * 3)}${i}`);
        const before = await model.encode(many, { batchSize: 8 });
        change(path.join(dir, 'model.safetensors'));
        const after = await model.encode(many, { batchSize: 8 });
        t.deepEqual(after.map((v) => Array.from(v)), before.map((v) => Array.from(v)), `${label}: identical vectors`);
        await model.close();
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  });
}
