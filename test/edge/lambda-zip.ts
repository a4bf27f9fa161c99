// examples/aws-lambda laid out as its function zip unpacks at LAMBDA_TASK_ROOT: index.mjs,
// node_modules/sentvec (this checkout) and model/ (a checkpoint folder), linked rather than copied;
// and invoked there as Lambda's Node.js runtime would.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../fixtures.js';
import type { LambdaJob, LambdaResult } from './lambda-invoke.js';
import { runToEnd } from './runtime-process.js';

export function lambdaTaskRoot(modelDir: string): string {
  const taskRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'sentvec-lambda-'));
  fs.copyFileSync(path.join(projectRoot, 'examples', 'aws-lambda', 'index.mjs'), path.join(taskRoot, 'index.mjs'));
  fs.mkdirSync(path.join(taskRoot, 'node_modules'));
  fs.symlinkSync(projectRoot, path.join(taskRoot, 'node_modules', 'sentvec'), 'dir');
  fs.symlinkSync(modelDir, path.join(taskRoot, 'model'), 'dir');
  return taskRoot;
}

/** Runs test/edge/lambda-invoke.js on `taskRoot`'s index.handler with `events`, `env` added. */
export async function invokeLambda(taskRoot: string, events: unknown[], env: Record<string, string>, timeoutMs: number): Promise<LambdaResult> {
  const job: LambdaJob = { taskRoot, handler: 'index.handler', events };
  const invoke = path.join(projectRoot, 'dist', 'test', 'edge', 'lambda-invoke.js');
  const { status, stdout, stderr } = await runToEnd(process.execPath, [invoke], JSON.stringify(job), timeoutMs, {
    cwd: taskRoot,
    env: { ...process.env, LAMBDA_TASK_ROOT: taskRoot, AWS_LAMBDA_FUNCTION_NAME: 'sentvec-embed', ...env },
  });
  if (status !== 0) throw new Error(`the Lambda invoker exited with ${status}: ${stderr.slice(-2000)}`);
  return JSON.parse(stdout);
}
