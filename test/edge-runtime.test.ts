// The Workers example under Vercel's edge-runtime, with WebAssembly compilation from bytes
// forbidden: it answers POST /embed for STS-B test sentences as sentence-transformers does, with
// all-MiniLM-L6-v2 fetched from a loopback origin.
import fs from 'node:fs';
import path from 'node:path';
import test from 'tape';
import { checkpointDir, projectRoot, stsTestSentences } from './fixtures.js';
import { checkVectors, mib } from './edge/embed-check.js';
import type { EdgeRuntimeJob, EdgeRuntimeResult } from './edge/edge-runtime-host.js';
import { runToEnd } from './edge/runtime-process.js';
import { bundleWorker } from './edge/worker-bundle.js';
import { closeServer, serveFolders } from './static-files.js';

const MAX_ABS = 1e-5;
const SENTENCES = 64;
const TIMEOUT_MS = 120_000;

test(`edge-runtime: the example's handler embeds ${SENTENCES} STS-B sentences as sentence-transformers does`, async (t) => {
  const name = 'all-MiniLM-L6-v2';
  const bundle = await bundleWorker('iife');
  const { server, url } = await serveFolders(new Map([[name, checkpointDir(name)]]));
  try {
    const job: EdgeRuntimeJob = {
      dir: bundle.dir, main: bundle.main, wasm: bundle.wasm,
      env: { MODEL_URL: `${url}/${name}`, DTYPE: 'fp32' },
      texts: stsTestSentences().slice(0, SENTENCES),
    };
    const host = path.join(projectRoot, 'dist', 'test', 'edge', 'edge-runtime-host.js');
    const { status, stdout, stderr } = await runToEnd(process.execPath, [host], JSON.stringify(job), TIMEOUT_MS);
    if (status !== 0) return t.fail(`the edge-runtime host exited with ${status}: ${stderr.slice(-2000)}`);
    const result: EdgeRuntimeResult = JSON.parse(stdout);
    if (result.status !== 200) return t.fail(`POST /embed answered ${result.status}: ${result.body.error}\n${stderr.slice(-2000)}`);
    t.notEqual(result.compileFromBytes, 'compiled', `the sandbox refuses to compile WebAssembly from bytes (${result.compileFromBytes})`);
    t.pass(`POST /embed (model load included) answered in ${result.seconds.toFixed(1)} s`);
    checkVectors(t, 'in edge-runtime', name, result.body.vectors.flat(), result.body.dimension, SENTENCES, MAX_ABS);
    t.comment(`edge-runtime host peak RSS ${mib(result.peakRss)}, ${mib(result.peakRss - result.idlePeakRss)} above the idle runtime's ${mib(result.idlePeakRss)}`);
  } finally {
    closeServer(server);
    fs.rmSync(bundle.dir, { recursive: true });
  }
});
