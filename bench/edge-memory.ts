// Peak memory of sentvec in each edge and serverless runtime the tests drive, for
// all-MiniLM-L6-v2 and all-mpnet-base-v2 in fp32 and int8, against the platform's documented limit,
// plus the compressed size of the Workers bundle: the figures behind the README's table.
//   - workerd: the Workers example served by workerd; VmHWM of the workerd process after the
//     first POST /embed, minus its VmHWM before it (the idle worker);
//   - edge-runtime: the same handler in Vercel's edge-runtime in a Node child: peak RSS after the
//     request minus the peak before it;
//   - Bun (native and WASM backends), Deno (WASM; Supabase's edge functions run on it) and Node
//     (the Lambda handler): the whole process's peak RSS.
// Each run embeds 32 STS-B test sentences and checks them against the goldens first (fp32 within
// 1e-5; int8 by its lowest cosine). Never fails a build: a cell that cannot run says why.
// Weights: fp32, int8 (the float checkpoint quantized at load) and int8-folder (the folder
// sentvec quantize writes). Arguments naming runtimes, models or weights run only those cells:
//   node dist/bench/edge-memory.js workerd edge-runtime all-MiniLM-L6-v2 int8-folder
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { quantize } from '../src/index.js';
import { checkpointDir, projectRoot, stsTestSentences, type CheckpointName } from '../test/fixtures.js';
import { agreement, embeddingGolden } from '../test/goldens.js';
import type { DenoJob, DenoResult } from '../test/deno-embed.js';
import type { EdgeRuntimeJob, EdgeRuntimeResult } from '../test/edge/edge-runtime-host.js';
import { mib, splitVectors } from '../test/edge/embed-check.js';
import { runEmbedScript, type ScriptRuntime } from '../test/edge/embed-script.js';
import { invokeLambda, lambdaTaskRoot } from '../test/edge/lambda-zip.js';
import { peakRss, runToEnd } from '../test/edge/runtime-process.js';
import { bundleWorker } from '../test/edge/worker-bundle.js';
import { postEmbed, startWorkerd } from '../test/edge/workerd.js';
import { closeServer, serveFolders } from '../test/static-files.js';

const MODELS: CheckpointName[] = ['all-MiniLM-L6-v2', 'all-mpnet-base-v2'];
/** Which folder each cell loads, and the dtype it asks for. */
const WEIGHTS = {
  fp32: { dtype: 'fp32', quantized: false },
  int8: { dtype: 'int8', quantized: false },
  'int8-folder': { dtype: 'int8', quantized: true },
};
type Weights = keyof typeof WEIGHTS;
const SENTENCES = 32;
const TIMEOUT_MS = 300_000;
const texts = stsTestSentences().slice(0, SENTENCES);
const dist = path.join(projectRoot, 'dist');

interface Measured {
  /** Bytes counted against the platform's limit. */
  bytes: number;
  what: string;
  vectors: number[];
  dimension: number;
}

/** A model folder to load, by path and by the URL it is served at. */
interface ModelFolder {
  dir: string;
  url: string;
}

type Runner = (model: ModelFolder, dtype: string) => Promise<Measured>;

function failed(what: string, status: number | null, stderr: string): never {
  throw new Error(`${what} exited with ${status}: ${stderr.trim().split('\n').slice(-3).join(' ')}`);
}

const workerBundle = await bundleWorker('esm');
const scriptBundle = await bundleWorker('iife');

const runners: Record<string, Runner> = {
  async workerd(model, dtype) {
    const workerd = await startWorkerd(workerBundle, { MODEL_URL: model.url, DTYPE: dtype }, TIMEOUT_MS);
    try {
      await fetch(`${workerd.url}/embed`);
      const idle = await peakRss(workerd.process.pid);
      const { status, body } = await postEmbed(workerd.url, texts, TIMEOUT_MS);
      if (status !== 200) throw new Error(`POST /embed answered ${status}: ${body.error}`);
      const peak = await peakRss(workerd.process.pid);
      return { bytes: peak - idle, what: `${mib(peak)} process, idle worker ${mib(idle)}`, vectors: body.vectors.flat(), dimension: body.dimension };
    } finally {
      workerd.process.kill();
    }
  },
  async 'edge-runtime'(model, dtype) {
    const job: EdgeRuntimeJob = { dir: scriptBundle.dir, main: scriptBundle.main, wasm: scriptBundle.wasm, env: { MODEL_URL: model.url, DTYPE: dtype }, texts };
    const { status, stdout, stderr } = await runToEnd(process.execPath, [path.join(dist, 'test', 'edge', 'edge-runtime-host.js')], JSON.stringify(job), TIMEOUT_MS);
    if (status !== 0) failed('edge-runtime host', status, stderr);
    const result: EdgeRuntimeResult = JSON.parse(stdout);
    if (result.status !== 200) throw new Error(`POST /embed answered ${result.status}: ${result.body.error}`);
    return { bytes: result.peakRss - result.idlePeakRss, what: `${mib(result.peakRss)} process, idle ${mib(result.idlePeakRss)}`, vectors: result.body.vectors.flat(), dimension: result.body.dimension };
  },
  'bun (native)': (model, dtype) => embedScript('bun', model.dir, 'native', dtype),
  'bun (wasm)': (model, dtype) => embedScript('bun', model.dir, 'wasm', dtype),
  'deno (wasm)': (model, dtype) => embedScript('deno', model.dir, 'wasm', dtype),
  async 'node (Lambda handler)'(model, dtype) {
    const taskRoot = lambdaTaskRoot(model.dir);
    const result = await invokeLambda(taskRoot, [{ body: JSON.stringify({ texts }) }], { DTYPE: dtype }, TIMEOUT_MS)
      .finally(() => fs.rmSync(taskRoot, { recursive: true }));
    const body = JSON.parse(result.responses[0].body);
    return { bytes: result.peakRss, what: 'whole process', vectors: body.vectors.flat(), dimension: body.dimension };
  },
};

async function embedScript(runtime: ScriptRuntime, dir: string, backend: string, dtype: string): Promise<Measured> {
  const job: DenoJob = { model: dir, sentences: texts, backend };
  const { status, stdout, stderr } = await runEmbedScript(runtime, job, TIMEOUT_MS, { SENTVEC_DTYPE: dtype });
  if (status !== 0) failed(runtime, status, stderr);
  const result: DenoResult = JSON.parse(stdout);
  return { bytes: result.peakRss ?? 0, what: 'whole process', vectors: result.vectors, dimension: result.dimension };
}

const filters = process.argv.slice(2);
const unknown = filters.filter((filter) => ![...Object.keys(runners), ...MODELS, ...Object.keys(WEIGHTS)].includes(filter));
if (unknown.length > 0) throw new Error(`unknown cells ${unknown.join(', ')}: name runtimes (${Object.keys(runners).join(', ')}), models (${MODELS.join(', ')}) or weights (${Object.keys(WEIGHTS).join(', ')})`);
/** The values of one axis the arguments name, or all of them when they name none. */
function chosen<T extends string>(values: readonly T[]): T[] {
  const named = values.filter((value) => filters.includes(value));
  return named.length > 0 ? named : [...values];
}

console.log(`Workers bundle: ${(workerBundle.compressedBytes / 1024).toFixed(1)} KiB gzip, ${(workerBundle.uncompressedBytes / 1024).toFixed(1)} KiB raw (${workerBundle.wasm.length} wasm modules)\n`);
console.log('| runtime | model | weights | peak memory | measured as | vectors vs goldens |');
console.log('| --- | --- | --- | --- | --- | --- |');
const quantizedRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'sentvec-edge-memory-'));
const folders = new Map<string, string>();
for (const name of chosen(MODELS)) {
  folders.set(name, checkpointDir(name));
  if (chosen(Object.keys(WEIGHTS) as Weights[]).some((weights) => WEIGHTS[weights].quantized)) {
    await quantize(checkpointDir(name), path.join(quantizedRoot, name));
    folders.set(`${name}-int8`, path.join(quantizedRoot, name));
  }
}
const { server, url } = await serveFolders(folders);
try {
  for (const runtime of chosen(Object.keys(runners))) {
    for (const name of chosen(MODELS)) {
      for (const weights of chosen(Object.keys(WEIGHTS) as Weights[])) {
        const { dtype, quantized } = WEIGHTS[weights];
        const folder = quantized ? `${name}-int8` : name;
        try {
          const measured = await runners[runtime]({ dir: folders.get(folder)!, url: `${url}/${folder}` }, dtype);
          const found = agreement(splitVectors(measured.vectors, measured.dimension), embeddingGolden(name).vectors);
          const check = dtype === 'fp32' ? `max \\|Δ\\| ${found.maxAbs.toExponential(1)}` : `min cosine ${found.minCosine.toFixed(4)}`;
          console.log(`| ${runtime} | ${name} | ${weights} | ${mib(measured.bytes)} | ${measured.what} | ${check} |`);
        } catch (error) {
          console.log(`| ${runtime} | ${name} | ${weights} | — | ${(error as Error).message.replaceAll('|', '\\|').slice(0, 200)} | |`);
        }
      }
    }
  }
} finally {
  closeServer(server);
  for (const bundle of [workerBundle, scriptBundle]) fs.rmSync(bundle.dir, { recursive: true });
  fs.rmSync(quantizedRoot, { recursive: true, force: true });
}
