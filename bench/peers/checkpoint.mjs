// What every peer must agree on to produce sentence-transformers' vectors: where the weights and
// the ONNX export live, the pooling, whether vectors are normalized, and the word-piece limit,
// read from the checkpoint's own module files rather than assumed per engine.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const weightsRoot = process.env.SENTVEC_WEIGHTS ?? path.join(os.homedir(), '.cache/sentvec/weights');

export function checkpointFolder(name) {
  return path.join(weightsRoot, name);
}

export function onnxFolder(name) {
  return path.join(weightsRoot, 'onnx', name);
}

/** llama.cpp's q8_0 conversion of a checkpoint (weights/export-gguf.sh). */
export function ggufFile(name) {
  return path.join(weightsRoot, 'gguf', name, 'model-q8_0.gguf');
}

const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));

export function sentenceTransformersModules(folder) {
  const modules = readJson(path.join(folder, 'modules.json'));
  const poolingModule = modules.find((module) => module.type.endsWith('.Pooling'));
  if (!poolingModule) throw new Error(`${folder}/modules.json has no Pooling module`);
  const poolingConfig = readJson(path.join(folder, poolingModule.path, 'config.json'));
  const modes = ['cls_token', 'mean_tokens'].filter((mode) => poolingConfig[`pooling_mode_${mode}`]);
  const others = Object.keys(poolingConfig).filter((key) => key.startsWith('pooling_mode_') && poolingConfig[key]);
  if (modes.length !== 1 || others.length !== 1) {
    throw new Error(`${folder}/${poolingModule.path}/config.json: only a single cls_token or mean_tokens pooling is benchmarked, found ${others.join(', ')}`);
  }
  return {
    pooling: modes[0] === 'cls_token' ? 'cls' : 'mean',
    normalize: modules.some((module) => module.type.endsWith('.Normalize')),
    maxSeqLength: readJson(path.join(folder, 'sentence_bert_config.json')).max_seq_length,
  };
}
