import { env, pipeline } from '@huggingface/transformers';
import { onnxFolder, sentenceTransformersModules, weightsRoot } from '../checkpoint.mjs';

// dtype: 'fp32' runs onnx/model.onnx, 'q8' onnx/model_quantized.onnx (transformers.js's file names).
export async function load(checkpoint, { threads, dtype = 'fp32' }) {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${weightsRoot}/onnx/`;
  const { pooling, normalize } = sentenceTransformersModules(onnxFolder(checkpoint));
  const extractor = await pipeline('feature-extraction', checkpoint, {
    device: 'cpu',
    dtype,
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
