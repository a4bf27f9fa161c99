import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { onnxFolder } from '../checkpoint.mjs';
import { loadOnnxEncoder } from './onnx-pipeline.mjs';

// file: the export under onnx/ (weights/export-onnx.py writes float32 and int8 ones).
export async function load(checkpoint, { threads, file = 'model.onnx' }) {
  const folder = onnxFolder(checkpoint);
  const session = await ort.InferenceSession.create(path.join(folder, 'onnx', file), {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  return loadOnnxEncoder(ort, folder, session);
}
