// examples/aws-lambda invoked as the Lambda Node.js runtime would: its folder laid out as the
// function zip (index.mjs, node_modules/sentvec, model/), the handler called with API Gateway
// HTTP API events, a cold one then a warm one, which answer as sentence-transformers does.
import fs from 'node:fs';
import path from 'node:path';
import test from 'tape';
import { checkpointDir, projectRoot, stsTestSentences } from './fixtures.js';
import { checkVectors, mib } from './edge/embed-check.js';
import type { LambdaJob, LambdaResult } from './edge/lambda-invoke.js';
import { lambdaTaskRoot } from './edge/lambda-zip.js';
import { runToEnd } from './edge/runtime-process.js';

const MAX_ABS = 1e-5;
const SENTENCES = 64;
const TIMEOUT_MS = 120_000;

function httpEvent(body: string) {
  return {
    version: '2.0', routeKey: 'POST /embed', rawPath: '/embed', headers: { 'content-type': 'application/json' },
    requestContext: { http: { method: 'POST', path: '/embed' } }, isBase64Encoded: false, body,
  };
}

test(`lambda: the example handler embeds ${SENTENCES} STS-B sentences as sentence-transformers does`, async (t) => {
  const name = 'all-MiniLM-L6-v2';
  const taskRoot = lambdaTaskRoot(checkpointDir(name));
  const sentences = stsTestSentences().slice(0, SENTENCES);
  const job: LambdaJob = {
    taskRoot,
    handler: 'index.handler',
    events: [httpEvent(JSON.stringify({ texts: sentences.slice(0, 32) })), httpEvent(JSON.stringify({ texts: sentences.slice(32) })), httpEvent('not json')],
  };
  const invoke = path.join(projectRoot, 'dist', 'test', 'edge', 'lambda-invoke.js');
  const { status, stdout, stderr } = await runToEnd(process.execPath, [invoke], JSON.stringify(job), TIMEOUT_MS, {
    cwd: taskRoot,
    env: { ...process.env, LAMBDA_TASK_ROOT: taskRoot, AWS_LAMBDA_FUNCTION_NAME: 'sentvec-embed' },
  });
  fs.rmSync(taskRoot, { recursive: true });
  if (status !== 0) return t.fail(`the invoker exited with ${status}: ${stderr.slice(-2000)}`);
  const result: LambdaResult = JSON.parse(stdout);
  const [cold, warm, bad] = result.responses;
  t.deepEqual([cold.statusCode, warm.statusCode, bad.statusCode], [200, 200, 400], 'two answers, and 400 for a body that is not JSON');
  const bodies = [cold, warm].map((response) => JSON.parse(response.body) as { dimension: number; backend: string; vectors: number[][] });
  t.pass(`cold invocation ${result.seconds[0].toFixed(2)} s, warm ${result.seconds[1].toFixed(2)} s, on ${bodies[0].backend}; peak RSS ${mib(result.peakRss)}`);
  checkVectors(t, `in the Lambda handler (${bodies[0].backend})`, name, bodies.flatMap((body) => body.vectors.flat()), bodies[0].dimension, SENTENCES, MAX_ABS);
});
