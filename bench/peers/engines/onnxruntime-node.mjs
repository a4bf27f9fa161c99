import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { onnxFolder } from '../checkpoint.mjs';
import { loadOnnxEncoder } from './onnx-pipeline.mjs';

export async function load(checkpoint, { threads }) {
  const folder = onnxFolder(checkpoint);
  const session = await ort.InferenceSession.create(path.join(folder, 'onnx/model.onnx'), {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  return loadOnnxEncoder(ort, folder, session);
}
