// The robustness suite: every case of mutations.ts on every backend must end in a clean error
// naming the model folder, or in vectors bit-identical to the unchanged model's. A crash ends
// the run, a case taking over 30 s is a hang, and NaN or different vectors without an error are
// silent wrong vectors; the summary counts each and the test fails on any.
// SENTVEC_FUZZ_CASES=N runs N header-fuzz cases per backend (default 150, 40 on js), and
// SENTVEC_FUZZ_SEED picks the seed (default 18).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'tape';
import { load } from '../../src/index.js';
import { checkpointDir } from '../fixtures.js';
import { fuzzMutation, targetedMutations, type ModelFiles, type Mutation } from './mutations.js';

const BACKENDS = ['native', 'wasm', 'js'] as const;
const TEXTS = ['A man is playing a flute.', 'Ein Hund läuft über die Wiese. 日本'];
const HANG_SECONDS = 30;
const base = checkpointDir('all-MiniLM-L6-v2');
const seed = Number(process.env.SENTVEC_FUZZ_SEED ?? 18);
const fuzzCases = (backend: string) => Number(process.env.SENTVEC_FUZZ_CASES ?? (backend === 'js' ? 40 : 150));

function readFolder(dir: string, prefix = '', files: ModelFiles = new Map()): ModelFiles {
  for (const entry of fs.readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const name = path.join(prefix, entry.name);
    if (entry.isDirectory()) readFolder(dir, name, files);
    // a plain Uint8Array: Buffer.slice() would give a view, and a mutation would change the base
    else if (!entry.name.startsWith('.')) files.set(name, new Uint8Array(fs.readFileSync(path.join(dir, name))));
  }
  return files;
}

const baseFiles = readFolder(base);

// Every fuzz case writes a 90 MB model.safetensors: in memory (tmpfs) where the system has one.
const scratch = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();

/** The files on disk: unchanged ones linked to the base folder, changed ones written. */
function materialize(files: ModelFiles): string {
  const dir = fs.mkdtempSync(path.join(scratch, 'sentvec-robust-'));
  for (const [name, value] of files) {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (value === baseFiles.get(name)) fs.symlinkSync(path.join(base, name), file);
    else if (value instanceof Uint8Array) fs.writeFileSync(file, value);
    else if (value.special === 'fifo') execFileSync('mkfifo', [file]);
    else if (value.special === 'devzero') fs.symlinkSync('/dev/zero', file);
    else fs.mkdirSync(file);
  }
  return dir;
}

type Outcome = 'error' | 'identical' | 'hang' | 'silent wrong vector' | 'unclean error';

function within<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('hang'), { hang: true })), HANG_SECONDS * 1000);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function run(dir: string, backend: string, expected: Float32Array[]): Promise<{ outcome: Outcome; detail: string }> {
  let model: Awaited<ReturnType<typeof load>> | undefined;
  try {
    model = await within(load(dir, { backend }));
    const vectors = await within(model.encode(TEXTS));
    const same = vectors.every((vector, i) => Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength)
      .equals(Buffer.from(expected[i].buffer, expected[i].byteOffset, expected[i].byteLength)));
    return same ? { outcome: 'identical', detail: '' } : { outcome: 'silent wrong vector', detail: `first values ${vectors[0].slice(0, 3).join(', ')}` };
  } catch (error) {
    if ((error as { hang?: boolean }).hang) return { outcome: 'hang', detail: `no answer in ${HANG_SECONDS} s` };
    const message = (error as Error).message;
    const clean = message.includes(dir) && !message.includes('\n    at ') && message.length < 2000;
    return { outcome: clean ? 'error' : 'unclean error', detail: message.slice(0, 300) };
  } finally {
    await model?.close().catch(() => {});
  }
}

const dirs: string[] = [];
test.onFinish(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

test(`robustness: ${targetedMutations().length} targeted cases and the header fuzzer (seed ${seed}) on ${BACKENDS.join(', ')}`, async (t) => {
  const expected = new Map<string, Float32Array[]>();
  for (const backend of BACKENDS) {
    const model = await load(base, { backend });
    expected.set(backend, await model.encode(TEXTS));
    await model.close();
  }
  const cases: { mutation: Mutation; backends: readonly string[] }[] = [
    ...targetedMutations().map((mutation) => ({ mutation, backends: BACKENDS })),
    ...Array.from({ length: Math.max(...BACKENDS.map(fuzzCases)) }, (_, index) => ({
      mutation: fuzzMutation(seed, index),
      backends: BACKENDS.filter((backend) => index < fuzzCases(backend)),
    })),
  ];
  const tally = new Map<string, Map<Outcome, number>>(BACKENDS.map((backend) => [backend, new Map()]));
  for (const { mutation, backends } of cases) {
    const dir = materialize(mutation.apply(baseFiles));
    dirs.push(dir);
    for (const backend of backends) {
      const { outcome, detail } = await run(dir, backend, expected.get(backend)!);
      const counts = tally.get(backend)!;
      counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
      if (outcome !== 'error' && outcome !== 'identical') t.fail(`${backend}, ${mutation.name}: ${outcome}: ${detail}`);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  for (const [backend, counts] of tally) {
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    t.comment(`${backend}: ${total} cases: ${['error', 'identical', 'hang', 'silent wrong vector', 'unclean error']
      .map((outcome) => `${counts.get(outcome as Outcome) ?? 0} ${outcome}`).join(', ')}; 0 crashes (the run finished)`);
    t.equal((counts.get('hang') ?? 0) + (counts.get('silent wrong vector') ?? 0) + (counts.get('unclean error') ?? 0), 0,
      `${backend}: no hang, no silent wrong vector, no unclean error`);
  }
});
