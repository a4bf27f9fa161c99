// examples/aws-lambda invoked as the Lambda Node.js runtime would: its folder laid out as the
// function zip (index.mjs, node_modules/sentvec, model/), the handler called with API Gateway
// HTTP API events, a cold one then a warm one, which answer as sentence-transformers does; and
// with MODEL_URL instead, the model copied from a loopback origin into the temporary folder.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'tape';
import { checkpointDir, stsTestSentences } from './fixtures.js';
import { checkVectors, mib } from './edge/embed-check.js';
import { invokeLambda, lambdaTaskRoot } from './edge/lambda-zip.js';
import { closeServer, serveFolders } from './static-files.js';

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
  const events = [httpEvent(JSON.stringify({ texts: sentences.slice(0, 32) })), httpEvent(JSON.stringify({ texts: sentences.slice(32) })), httpEvent('not json')];
  const result = await invokeLambda(taskRoot, events, {}, TIMEOUT_MS).finally(() => fs.rmSync(taskRoot, { recursive: true }));
  const [cold, warm, bad] = result.responses;
  t.deepEqual([cold.statusCode, warm.statusCode, bad.statusCode], [200, 200, 400], 'two answers, and 400 for a body that is not JSON');
  const bodies = [cold, warm].map((response) => JSON.parse(response.body) as { dimension: number; backend: string; vectors: number[][] });
  t.pass(`cold invocation ${result.seconds[0].toFixed(2)} s, warm ${result.seconds[1].toFixed(2)} s, on ${bodies[0].backend}; peak RSS ${mib(result.peakRss)}`);
  checkVectors(t, `in the Lambda handler (${bodies[0].backend})`, name, bodies.flatMap((body) => body.vectors.flat()), bodies[0].dimension, SENTENCES, MAX_ABS);
});

test('lambda: with MODEL_URL the handler copies the model to the temporary folder and embeds from there', async (t) => {
  const name = 'all-MiniLM-L6-v2';
  const taskRoot = lambdaTaskRoot(checkpointDir(name));
  fs.rmSync(path.join(taskRoot, 'model'));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sentvec-lambda-tmp-'));
  const { server, url } = await serveFolders(new Map([[name, checkpointDir(name)]]));
  try {
    const events = [httpEvent(JSON.stringify({ texts: stsTestSentences().slice(0, 8) }))];
    const result = await invokeLambda(taskRoot, events, { TMPDIR: tmp, MODEL_URL: `${url}/${name}` }, TIMEOUT_MS);
    const body = JSON.parse(result.responses[0].body) as { dimension: number; vectors: number[][] };
    t.ok(fs.existsSync(path.join(tmp, 'sentvec-model', 'model.safetensors')), `cold invocation ${result.seconds[0].toFixed(2)} s, the model copied to TMPDIR`);
    checkVectors(t, 'in the Lambda handler, model from MODEL_URL', name, body.vectors.flat(), body.dimension, 8, MAX_ABS);
  } finally {
    closeServer(server);
    fs.rmSync(taskRoot, { recursive: true });
    fs.rmSync(tmp, { recursive: true });
  }
});
