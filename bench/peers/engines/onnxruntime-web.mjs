import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-web';
import { onnxFolder } from '../checkpoint.mjs';
import { loadOnnxEncoder } from './onnx-pipeline.mjs';

export async function load(checkpoint, { threads }) {
  const folder = onnxFolder(checkpoint);
  // The WASM build threads through worker_threads in Node; its thread count is process-wide.
  ort.env.wasm.numThreads = threads;
  const session = await ort.InferenceSession.create(fs.readFileSync(path.join(folder, 'onnx/model.onnx')), {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
  });
  return loadOnnxEncoder(ort, folder, session);
}
