// examples/aws-lambda laid out as its function zip unpacks at LAMBDA_TASK_ROOT: index.mjs,
// node_modules/sentvec (this checkout) and model/ (a checkpoint folder), linked rather than copied.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../fixtures.js';

export function lambdaTaskRoot(modelDir: string): string {
  const taskRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'sentvec-lambda-'));
  fs.copyFileSync(path.join(projectRoot, 'examples', 'aws-lambda', 'index.mjs'), path.join(taskRoot, 'index.mjs'));
  fs.mkdirSync(path.join(taskRoot, 'node_modules'));
  fs.symlinkSync(projectRoot, path.join(taskRoot, 'node_modules', 'sentvec'), 'dir');
  fs.symlinkSync(modelDir, path.join(taskRoot, 'model'), 'dir');
  return taskRoot;
}
