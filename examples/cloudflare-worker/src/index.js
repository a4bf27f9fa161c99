// POST /embed {"texts": ["…", …]} → {"dimension": 384, "vectors": [[…], …]}
// sentvec on Cloudflare Workers: the WASM kernels come in as modules Wrangler compiled at deploy
// time (Workers forbid compiling WebAssembly from bytes), and the model is fetched once per
// isolate from MODEL_URL, or read from the R2 bucket bound as MODEL_BUCKET.
import { load } from 'sentvec/browser';
import relaxed from 'sentvec/wasm/sentvec-relaxed.wasm';
import simd from 'sentvec/wasm/sentvec-simd.wasm';
import scalar from 'sentvec/wasm/sentvec-scalar.wasm';

// What load() reads of a sentence-transformers folder; absent files are skipped.
const MODEL_FILES = [
  'config.json', 'modules.json', 'sentence_bert_config.json', '1_Pooling/config.json', 'model.safetensors',
  'tokenizer.json', 'vocab.txt', 'tokenizer_config.json', 'special_tokens_map.json',
];
const MAX_TEXTS = 256;

async function filesFromBucket(bucket, prefix) {
  const files = {};
  for (const name of MODEL_FILES) {
    const object = await bucket.get(`${prefix}${name}`);
    if (object) files[name] = new Uint8Array(await object.arrayBuffer());
  }
  return files;
}

let loading;
function model(env) {
  if (!loading) {
    const source = env.MODEL_BUCKET ? filesFromBucket(env.MODEL_BUCKET, env.MODEL_PREFIX ?? '') : Promise.resolve(env.MODEL_URL);
    loading = source.then((input) => load(input, { backend: 'wasm', dtype: env.DTYPE || 'fp32', wasmModules: { relaxed, simd, scalar } }));
    // a failed load is retried by the next request rather than cached
    loading.catch(() => (loading = undefined));
  }
  return loading;
}

const error = (status, message) => Response.json({ error: message }, { status });

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (pathname !== '/embed') return error(404, 'POST /embed {"texts": ["…"]}');
    if (request.method !== 'POST') return error(405, 'POST /embed {"texts": ["…"]}');
    let texts;
    try {
      ({ texts } = await request.json());
    } catch {
      return error(400, 'the body must be JSON: {"texts": ["…"]}');
    }
    if (!Array.isArray(texts) || texts.length > MAX_TEXTS || !texts.every((text) => typeof text === 'string')) {
      return error(400, `"texts" must be an array of at most ${MAX_TEXTS} strings`);
    }
    const embedder = await model(env);
    const vectors = await embedder.encode(texts);
    return Response.json({ dimension: embedder.dimension, vectors: vectors.map((vector) => Array.from(vector)) });
  },
};
