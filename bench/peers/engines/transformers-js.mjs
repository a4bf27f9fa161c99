import { env, pipeline } from '@huggingface/transformers';
import { onnxFolder, sentenceTransformersModules, weightsRoot } from '../checkpoint.mjs';

export async function load(checkpoint, { threads }) {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${weightsRoot}/onnx/`;
  const { pooling, normalize } = sentenceTransformersModules(onnxFolder(checkpoint));
  const extractor = await pipeline('feature-extraction', checkpoint, {
    device: 'cpu',
    dtype: 'fp32',
    session_options: { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' },
  });
  return {
    async encode(texts) {
      const output = await extractor(texts, { pooling, normalize });
      const C = output.dims[1];
      return texts.map((_, b) => output.data.slice(b * C, (b + 1) * C));
    },
  };
}
