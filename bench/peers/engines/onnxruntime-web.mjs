import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-web';
import { onnxFolder } from '../checkpoint.mjs';
import { loadOnnxEncoder } from './onnx-pipeline.mjs';

// file: the export under onnx/ (weights/export-onnx.py writes float32 and int8 ones).
export async function load(checkpoint, { threads, file = 'model.onnx' }) {
  const folder = onnxFolder(checkpoint);
  // The WASM build threads through worker_threads in Node; its thread count is process-wide.
  ort.env.wasm.numThreads = threads;
  const session = await ort.InferenceSession.create(fs.readFileSync(path.join(folder, 'onnx', file)), {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
  });
  return loadOnnxEncoder(ort, folder, session);
}
