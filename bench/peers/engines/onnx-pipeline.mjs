// sentence-transformers around a bare onnxruntime session: tokenizers.js word pieces in, the
// exported last_hidden_state out, then pooling and normalization as sentence_transformers.models
// Pooling and Normalize compute them. Shared by the onnxruntime-node and onnxruntime-web drivers so
// the two differ only in the runtime.
import fs from 'node:fs';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { sentenceTransformersModules } from '../checkpoint.mjs';

const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));

export async function loadOnnxEncoder(ort, folder, session) {
  const { pooling, normalize, maxSeqLength } = sentenceTransformersModules(folder);
  const tokenizerConfig = readJson(path.join(folder, 'tokenizer_config.json'));
  const tokenizer = new Tokenizer(readJson(path.join(folder, 'tokenizer.json')), tokenizerConfig);
  // MPNet derives position ids from the padding id, so pad with the checkpoint's own.
  const padId = tokenizer.token_to_id(tokenizerConfig.pad_token);
  if (padId === undefined) throw new Error(`${folder}/tokenizer_config.json: pad_token ${tokenizerConfig.pad_token} is not in tokenizer.json`);
  const usesTokenTypeIds = session.inputNames.includes('token_type_ids');

  function tokenize(text) {
    const ids = tokenizer.encode(text).ids;
    // Truncation keeps the closing special token, as the Hugging Face tokenizers do.
    return ids.length <= maxSeqLength ? ids : [...ids.slice(0, maxSeqLength - 1), ids[ids.length - 1]];
  }

  async function encode(texts) {
    const pieces = texts.map(tokenize);
    const B = pieces.length;
    const T = Math.max(...pieces.map((ids) => ids.length));
    const inputIds = new BigInt64Array(B * T).fill(BigInt(padId));
    const attentionMask = new BigInt64Array(B * T);
    pieces.forEach((ids, b) => {
      ids.forEach((id, t) => {
        inputIds[b * T + t] = BigInt(id);
        attentionMask[b * T + t] = 1n;
      });
    });
    const feeds = {
      input_ids: new ort.Tensor('int64', inputIds, [B, T]),
      attention_mask: new ort.Tensor('int64', attentionMask, [B, T]),
    };
    if (usesTokenTypeIds) feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(B * T), [B, T]);
    const { last_hidden_state: lastHiddenState } = await session.run(feeds);
    const C = lastHiddenState.dims[2];
    const hiddenStates = lastHiddenState.data;
    return pieces.map((ids, b) => {
      const vector = new Float32Array(C);
      const count = pooling === 'cls' ? 1 : ids.length;
      for (let t = 0; t < count; t++) {
        const row = (b * T + t) * C;
        for (let c = 0; c < C; c++) vector[c] += hiddenStates[row + c];
      }
      let scale = 1 / count;
      if (normalize) {
        let norm = 0;
        for (let c = 0; c < C; c++) norm += (vector[c] * scale) ** 2;
        scale /= Math.max(Math.sqrt(norm), 1e-12);
      }
      for (let c = 0; c < C; c++) vector[c] *= scale;
      return vector;
    });
  }

  return { encode };
}
