// npm run soak: memory over time, per backend, each in its own process. Not part of npm test.
//   1. RSS after 1,000 load/close cycles and after 100,000 encoded texts, on a tiny random-weight
//      BERT made here (2 layers, C = 32, MiniLM's tokenizer), so the cycles take seconds: a leak
//      per load or per text shows the same on it as on a full checkpoint.
//   2. all-MiniLM-L6-v2: RSS after load, at the end of one large encode (long texts at batch
//      256), and after 10 s idle; the last should be back near the first.
// SOAK_CYCLES, SOAK_TEXTS and SOAK_LARGE change the counts.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from '../src/index.js';
import { checkpointDir, stsTestSentences } from '../test/fixtures.js';

const BACKENDS = ['native', 'wasm', 'js'];
const CYCLES = Number(process.env.SOAK_CYCLES ?? 1000);
const TEXTS = Number(process.env.SOAK_TEXTS ?? 100_000);
// long texts in the large batch: js runs a 6-layer model over them one float at a time
const LARGE: Record<string, number> = { native: 1024, wasm: 256, js: 32 };
const IDLE_MS = 10_000;
const minilm = checkpointDir('all-MiniLM-L6-v2');

const mb = () => `${(process.memoryUsage.rss() / 2 ** 20).toFixed(0)} MB`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A BERT folder with seeded random weights: MiniLM's tokenizer and modules, C = 32, 2 layers. */
function tinyBert(dir: string): void {
  const [C, F, L, V, P] = [32, 64, 2, 30522, 512];
  for (const file of ['tokenizer.json', 'tokenizer_config.json', 'modules.json', 'sentence_bert_config.json']) {
    fs.copyFileSync(path.join(minilm, file), path.join(dir, file));
  }
  fs.mkdirSync(path.join(dir, '1_Pooling'));
  fs.writeFileSync(path.join(dir, '1_Pooling', 'config.json'), JSON.stringify({ word_embedding_dimension: C, pooling_mode_mean_tokens: true }));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({
    model_type: 'bert', hidden_size: C, num_attention_heads: 2, intermediate_size: F, num_hidden_layers: L,
    vocab_size: V, max_position_embeddings: P, type_vocab_size: 2, layer_norm_eps: 1e-12, hidden_act: 'gelu',
  }));
  const shapes: [string, number[]][] = [
    ['embeddings.word_embeddings.weight', [V, C]], ['embeddings.position_embeddings.weight', [P, C]],
    ['embeddings.token_type_embeddings.weight', [2, C]], ['embeddings.LayerNorm.weight', [C]], ['embeddings.LayerNorm.bias', [C]],
  ];
  for (let l = 0; l < L; l++) {
    const layer = `encoder.layer.${l}.`;
    for (const name of ['attention.self.query', 'attention.self.key', 'attention.self.value', 'attention.output.dense']) {
      shapes.push([`${layer}${name}.weight`, [C, C]], [`${layer}${name}.bias`, [C]]);
    }
    shapes.push([`${layer}intermediate.dense.weight`, [F, C]], [`${layer}intermediate.dense.bias`, [F]]);
    shapes.push([`${layer}output.dense.weight`, [C, F]], [`${layer}output.dense.bias`, [C]]);
    for (const norm of ['attention.output.LayerNorm', 'output.LayerNorm']) shapes.push([`${layer}${norm}.weight`, [C]], [`${layer}${norm}.bias`, [C]]);
  }
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, shape] of shapes) {
    const bytes = 4 * shape.reduce((a, b) => a * b, 1);
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const data = new Float32Array(offset / 4);
  let seed = 18;
  for (let i = 0; i < data.length; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    data[i] = (seed / 2 ** 32 - 0.5) * 0.2;
  }
  const json = Buffer.from(JSON.stringify(header).padEnd(Math.ceil(JSON.stringify(header).length / 8) * 8));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  fs.writeFileSync(path.join(dir, 'model.safetensors'), Buffer.concat([length, json, Buffer.from(data.buffer)]));
}

async function soak(backend: string): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sentvec-soak-'));
  try {
    tinyBert(dir);
    const sentences = stsTestSentences();
    const started = Date.now();
    console.log(`${backend}: start ${mb()}`);
    for (let i = 0; i < CYCLES; i++) {
      const model = await load(dir, { backend });
      await model.encode([sentences[i % sentences.length]]);
      await model.close();
    }
    console.log(`${backend}: after ${CYCLES} load/encode/close cycles (tiny BERT) ${mb()}`);
    const model = await load(dir, { backend });
    for (let done = 0; done < TEXTS; done += 100) {
      await model.encode(Array.from({ length: 100 }, (_, i) => sentences[(done + i) % sentences.length]));
      if (done === 10_000) console.log(`${backend}: after 10,000 texts ${mb()}`);
    }
    await model.close();
    console.log(`${backend}: after ${TEXTS} texts ${mb()} (${((Date.now() - started) / 1000).toFixed(0)} s so far)`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const large = Number(process.env.SOAK_LARGE ?? LARGE[backend]);
  const long = stsTestSentences().join(' ');
  const texts = Array.from({ length: large }, (_, i) => long.slice(i * 7, i * 7 + 2000));
  const model = await load(minilm, { backend });
  await model.encode(['warm up']);
  await sleep(IDLE_MS);
  const baseline = process.memoryUsage.rss();
  console.log(`${backend}: MiniLM loaded, idle ${mb()}`);
  let vectors: Float32Array[] | undefined = await model.encode(texts, { batchSize: 256 });
  console.log(`${backend}: after ${large} long texts at batch 256 ${mb()}`);
  vectors = undefined;
  await sleep(IDLE_MS);
  console.log(`${backend}: after ${IDLE_MS / 1000} s idle ${mb()} (${((process.memoryUsage.rss() - baseline) / 2 ** 20).toFixed(0)} MB above the loaded baseline)`);
  await model.close();
  void vectors;
}

const only = process.argv[2];
if (only) {
  await soak(only);
} else {
  for (const backend of BACKENDS) {
    const result = spawnSync(process.execPath, [fileURLToPath(import.meta.url), backend], { stdio: 'inherit' });
    if (result.status !== 0) process.exitCode = 1;
  }
}
