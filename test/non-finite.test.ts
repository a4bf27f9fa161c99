// Non-finite numbers never turn into plausible vectors: a NaN attention score makes its row NaN
// on every backend, as torch.softmax does; NaN or ±inf weights are refused at load naming the
// tensor; weights that overflow float32 in the forward pass fail encode() instead of returning NaN.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'tape';
import { availableBackends } from '../src/backend/index.js';
import { load } from '../src/index.js';
import { parseSafetensors } from '../src/safetensors.js';
import { checkpointDir, errorMessage } from './fixtures.js';

test('attention: a NaN or +inf score makes its whole row NaN on every backend', async (t) => {
  const [T, NH, HS] = [3, 1, 4];
  for (const k of await availableBackends()) {
    for (const poison of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const q = Float32Array.from({ length: T * HS }, (_, i) => (i % 5) / 10);
      const keys = Float32Array.from({ length: T * HS }, (_, i) => (i % 3) / 10);
      const v = Float32Array.from({ length: T * HS }, (_, i) => i / 10);
      keys[HS + 1] = poison;  // key 1 poisons every query's score against it
      const [qb, kb, vb, out] = [k.alloc(T * HS), k.alloc(T * HS), k.alloc(T * HS), k.alloc(T * HS)];
      k.write(qb, q);
      k.write(kb, keys);
      k.write(vb, v);
      k.attention(out, qb, kb, vb, null, Int32Array.of(T), 1, T, NH, HS);
      const found = Array.from(k.read(out, T * HS));
      t.ok(found.every(Number.isNaN), `${k.name}: a ${poison} key gives NaN rows: ${found.slice(0, 4).join(', ')}`);
      [qb, kb, vb, out].forEach((buffer) => k.free(buffer));
    }
  }
});

const minilm = checkpointDir('all-MiniLM-L6-v2');
const folders: string[] = [];
test.onFinish(() => folders.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** MiniLM with `value` written over the first float of tensor `name`, or over all of it. */
function poisoned(name: string, value: number, whole = false): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sentvec-poison-'));
  folders.push(dir);
  for (const entry of fs.readdirSync(minilm)) fs.cpSync(path.join(minilm, entry), path.join(dir, entry), { recursive: true });
  const file = path.join(dir, 'model.safetensors');
  const bytes = fs.readFileSync(file);
  const info = parseSafetensors(bytes, file).tensors.get(name)!;
  for (let at = info.begin; at < (whole ? info.end : info.begin + 4); at += 4) bytes.writeFloatLE(value, at);
  fs.writeFileSync(file, bytes);
  return dir;
}

test('NaN and ±inf weights are refused at load, naming the file and the tensor, on every backend', async (t) => {
  const cases: [string, number][] = [
    ['encoder.layer.0.attention.self.query.weight', Number.NaN],
    ['embeddings.LayerNorm.bias', Number.POSITIVE_INFINITY],
    ['encoder.layer.5.output.dense.bias', Number.NEGATIVE_INFINITY],
  ];
  for (const [name, value] of cases) {
    const dir = poisoned(name, value);
    for (const backend of ['native', 'wasm', 'js']) {
      const message = await errorMessage(load(dir, { backend }));
      t.ok(message.includes(`${dir}/model.safetensors`) && message.includes(`"${name}"`) && message.includes(String(value)),
        `${backend}, ${value} in ${name}: ${message}`);
    }
  }
});

test('weights that overflow float32 in the forward pass fail encode(), never a NaN vector', async (t) => {
  const dir = poisoned('encoder.layer.0.attention.self.query.weight', 1e38, true);
  for (const backend of ['native', 'wasm', 'js']) {
    const model = await load(dir, { backend });
    const message = await errorMessage(model.encode(['A man is playing a flute.']));
    t.ok(/model\.safetensors/.test(message) && /not finite/.test(message), `${backend}: ${message}`);
    await model.close();
  }
});
