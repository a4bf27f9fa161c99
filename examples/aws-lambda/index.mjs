// POST {"texts": ["…", …]} → {"dimension": 384, "vectors": [[…], …]}
// sentvec on AWS Lambda (Node.js 20 or later), behind a function URL or an API Gateway HTTP API.
// The model is loaded once per execution environment, on the first request: from MODEL_DIR
// (default: ./model, the checkpoint folder zipped beside this file or put in a layer), else from
// MODEL_URL, whose files are copied to /tmp (os.tmpdir() there), the one writable folder, so the
// native backend maps them rather than holding a second copy in the heap.
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'sentvec';

// What load() reads of a sentence-transformers folder; absent files are skipped.
const MODEL_FILES = [
  'config.json', 'modules.json', 'sentence_bert_config.json', '1_Pooling/config.json', 'model.safetensors',
  'tokenizer.json', 'vocab.txt', 'tokenizer_config.json', 'special_tokens_map.json',
];
const MAX_TEXTS = 256;

async function download(base, dir) {
  for (const name of MODEL_FILES) {
    const response = await fetch(`${base.replace(/\/$/, '')}/${name}`);
    if (response.status === 404) continue;
    if (!response.ok) throw new Error(`${base}/${name}: HTTP ${response.status}`);
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), new Uint8Array(await response.arrayBuffer()));
  }
  return dir;
}

let loading;
function model() {
  if (!loading) {
    const bundled = process.env.MODEL_DIR ?? fileURLToPath(new URL('./model', import.meta.url));
    const dir = process.env.MODEL_URL ? download(process.env.MODEL_URL, path.join(os.tmpdir(), 'sentvec-model')) : Promise.resolve(bundled);
    loading = dir.then((folder) => load(folder, { dtype: process.env.DTYPE || 'fp32' }));
    // a failed load is retried by the next invocation rather than cached
    loading.catch(() => (loading = undefined));
  }
  return loading;
}

const reply = (statusCode, body) => ({ statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

export async function handler(event) {
  let texts;
  try {
    const body = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : event.body;
    ({ texts } = JSON.parse(body ?? ''));
  } catch {
    return reply(400, { error: 'the body must be JSON: {"texts": ["…"]}' });
  }
  if (!Array.isArray(texts) || texts.length > MAX_TEXTS || !texts.every((text) => typeof text === 'string')) {
    return reply(400, { error: `"texts" must be an array of at most ${MAX_TEXTS} strings` });
  }
  const embedder = await model();
  const vectors = await embedder.encode(texts);
  return reply(200, { dimension: embedder.dimension, backend: embedder.backend, vectors: vectors.map((vector) => Array.from(vector)) });
}
