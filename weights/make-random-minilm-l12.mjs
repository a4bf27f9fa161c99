// Writes a sentence-transformers folder with the exact all_datasets_v3_MiniLM-L12 architecture
// (12 layers, 384 hidden, 12 heads, 1536 FFN, mean pooling, Normalize) and seeded random
// weights, so the 12-layer BERT path is proven against transformers without a real checkpoint.
// Usage: node make-random-minilm-l12.mjs TOKENIZER_FOLDER OUT_FOLDER
import fs from 'node:fs';
import path from 'node:path';

const [tokenizerFolder, out] = process.argv.slice(2);
if (!tokenizerFolder || !out) {
  console.error('usage: node make-random-minilm-l12.mjs TOKENIZER_FOLDER OUT_FOLDER');
  process.exit(2);
}
const SEED = 20261123;
const stamp = `seed ${SEED} v1`;
if (fs.existsSync(path.join(out, '.complete')) && fs.readFileSync(path.join(out, '.complete'), 'utf8') === stamp) {
  process.exit(0);
}

const config = {
  architectures: ['BertModel'],
  attention_probs_dropout_prob: 0.1,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  hidden_size: 384,
  initializer_range: 0.02,
  intermediate_size: 1536,
  layer_norm_eps: 1e-12,
  max_position_embeddings: 512,
  model_type: 'bert',
  num_attention_heads: 12,
  num_hidden_layers: 12,
  pad_token_id: 0,
  position_embedding_type: 'absolute',
  type_vocab_size: 2,
  vocab_size: 30522,
};

// mulberry32 uniform generator and Box-Muller normals: deterministic on every machine.
let state = SEED;
function uniform() {
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
function normal(count, mean, std) {
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const radius = Math.sqrt(-2 * Math.log(1 - uniform()));
    values[i] = mean + std * radius * Math.cos(2 * Math.PI * uniform());
  }
  return values;
}

// Wider than the 0.02 initializer so every layer visibly changes the output.
const tensors = [];
const C = config.hidden_size;
const F = config.intermediate_size;
const add = (name, shape, mean, std) => tensors.push({ name, shape, data: normal(shape.reduce((a, b) => a * b), mean, std) });
const linear = (name, outFeatures, inFeatures) => {
  add(`${name}.weight`, [outFeatures, inFeatures], 0, 1 / Math.sqrt(inFeatures));
  add(`${name}.bias`, [outFeatures], 0, 0.05);
};
const layerNorm = (name) => {
  add(`${name}.weight`, [C], 1, 0.1);
  add(`${name}.bias`, [C], 0, 0.05);
};
add('embeddings.word_embeddings.weight', [config.vocab_size, C], 0, 0.5);
add('embeddings.position_embeddings.weight', [config.max_position_embeddings, C], 0, 0.2);
add('embeddings.token_type_embeddings.weight', [config.type_vocab_size, C], 0, 0.2);
layerNorm('embeddings.LayerNorm');
for (let l = 0; l < config.num_hidden_layers; l++) {
  const layer = `encoder.layer.${l}`;
  linear(`${layer}.attention.self.query`, C, C);
  linear(`${layer}.attention.self.key`, C, C);
  linear(`${layer}.attention.self.value`, C, C);
  linear(`${layer}.attention.output.dense`, C, C);
  layerNorm(`${layer}.attention.output.LayerNorm`);
  linear(`${layer}.intermediate.dense`, F, C);
  linear(`${layer}.output.dense`, C, F);
  layerNorm(`${layer}.output.LayerNorm`);
}

function safetensors(list) {
  const header = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const { name, shape, data } of list) {
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8);
  const file = Buffer.alloc(8 + json.length + offset);
  file.writeBigUInt64LE(BigInt(json.length), 0);
  file.write(json, 8, 'latin1');
  let at = 8 + json.length;
  for (const { data } of list) {
    Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(file, at);
    at += data.byteLength;
  }
  return file;
}

const json = (value) => JSON.stringify(value, null, 2) + '\n';
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(path.join(out, '1_Pooling'), { recursive: true });
fs.writeFileSync(path.join(out, 'config.json'), json(config));
fs.writeFileSync(path.join(out, 'modules.json'), json([
  { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
  { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
  { idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' },
]));
fs.writeFileSync(path.join(out, '1_Pooling', 'config.json'), json({
  word_embedding_dimension: C,
  pooling_mode_cls_token: false,
  pooling_mode_mean_tokens: true,
  pooling_mode_max_tokens: false,
  pooling_mode_mean_sqrt_len_tokens: false,
}));
fs.writeFileSync(path.join(out, 'sentence_bert_config.json'), json({ max_seq_length: 128, do_lower_case: false }));
fs.writeFileSync(path.join(out, 'config_sentence_transformers.json'), json({ similarity_fn_name: 'cosine' }));
for (const file of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt']) {
  fs.copyFileSync(path.join(tokenizerFolder, file), path.join(out, file));
}
fs.writeFileSync(path.join(out, 'model.safetensors'), safetensors(tensors));
fs.writeFileSync(path.join(out, '.complete'), stamp);
