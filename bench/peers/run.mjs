// Benchmarks sentvec against its peers on STS-B test sentences (issue 6) and writes
// bench/results/peers.{md,svg,json}. Every measurement runs in a fresh child process per engine
// (worker.mjs / worker.py) so that peak RSS and cold start belong to that engine alone, and every
// engine's vectors are checked against sentence-transformers before it is timed.
// Three sections: `peers` (float32, every engine), `int8` (each engine's own int8 recipe beside
// float32, scored on all STS-B test sentences: issue 13) and `wasm-int8` (the WASM engines in
// int8 and float32 on one thread). A run of some sections keeps the others' last results in
// peers.json, each with its own date and load.
// Usage: node run.mjs [--sections=peers,int8,wasm-int8] [--engines=id,id] [--models=checkpoint,checkpoint]
//   [--batches=1,32] (the int8 sections' batch sizes; default 1, 8, 32, 128)
//   [--rounds=N] (the int8 sections' timing rounds, engines in turns; default 3)
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cosine, spearman } from '../../dist/test/goldens.js';
import { checkpointFolder, ggufFile, onnxFolder, sentenceTransformersModules } from './checkpoint.mjs';
import { renderMarkdown, renderSvg } from './report.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');
const resultsDir = path.join(repoRoot, 'bench/results');
const refenvPython = path.join(process.env.SENTVEC_REFENV ?? path.join(os.homedir(), '.cache/sentvec/refenv'), 'bin/python');
const llamaenvPython = path.join(process.env.SENTVEC_LLAMAENV ?? path.join(os.homedir(), '.cache/sentvec/llamaenv'), 'bin/python');
const stsbFile = process.env.SENTVEC_STSB ?? path.join(repoRoot, 'test/data/stsbenchmark/sts-test.csv');

const THREADS = 2;
const TOLERANCE = 1e-4;
// Sizes keep a full run near 20 minutes on 2 cores; the report states them.
const SUBSETS = {
  check: 256, // vectors compared and peak RSS measured, at batch 32
  throughput: 256, // sentences/s at batch 8, 32, 128
  latency: 64, // batch 1: sentences/s and single-query p50/p99
  coldStarts: 5,
};
// Generous: on a busy machine onnxruntime-web's MPNet timing alone passed 5 minutes.
const WORKER_TIMEOUT_MS = 10 * 60 * 1000;

const MODELS = [
  { checkpoint: 'minilm-l12-random', label: 'MiniLM-L12 (random weights, all_datasets_v3_MiniLM-L12 config)', timed: true },
  { checkpoint: 'all-mpnet-base-v2', label: 'MPNet base (all-mpnet-base-v2)', timed: true },
  // Checked, not timed: same graphs as above, different pooling or real weights.
  { checkpoint: 'multi-qa-mpnet-base-dot-v1-layout', label: 'MPNet, multi-qa-mpnet-base-dot-v1 layout (CLS, no normalize)', timed: false },
  { checkpoint: 'all-MiniLM-L6-v2', label: 'all-MiniLM-L6-v2 (real weights)', timed: false },
];

const peerVersion = (name) => JSON.parse(fs.readFileSync(path.join(here, 'node_modules', name, 'package.json'), 'utf8')).version;
const ENGINES = [
  { id: 'sentence-transformers', python: 'sentence-transformers' },
  { id: 'sentvec-native', driver: 'sentvec', options: { backend: 'native' } },
  { id: 'sentvec-wasm', driver: 'sentvec', options: { backend: 'wasm' } },
  { id: 'transformers-js', driver: 'transformers-js', needsOnnx: true, packages: ['@huggingface/transformers'] },
  { id: 'onnxruntime-node', driver: 'onnxruntime-node', needsOnnx: true, packages: ['onnxruntime-node', '@huggingface/tokenizers'] },
  { id: 'onnxruntime-web', driver: 'onnxruntime-web', needsOnnx: true, packages: ['onnxruntime-web', '@huggingface/tokenizers'] },
];

// One thread at batch 32, where the WASM builds compete (issue 5): sentvec's SIMD and
// relaxed-SIMD modules, onnxruntime-web, and sentvec native for scale.
const RELAXED_FLAG = '--experimental-wasm-relaxed-simd';
const ONE_THREAD = [
  { id: 'sentvec-wasm-simd', label: 'sentvec wasm, SIMD', driver: 'sentvec', options: { backend: 'wasm' }, env: { SENTVEC_WASM: 'simd' } },
  // Node 20 validates relaxed SIMD only behind a V8 flag; later V8s (Node 22, Chrome, Deno) by default.
  { id: 'sentvec-wasm-relaxed', label: 'sentvec wasm, relaxed SIMD', driver: 'sentvec', options: { backend: 'wasm' }, env: { SENTVEC_WASM: 'relaxed' }, nodeFlags: [RELAXED_FLAG] },
  { id: 'onnxruntime-web', label: 'onnxruntime-web (WASM)', driver: 'onnxruntime-web', needsOnnx: true },
  { id: 'sentvec-native', label: 'sentvec native', driver: 'sentvec', options: { backend: 'native' } },
];

// The int8 sections: real checkpoints, so that STS-B scores mean something.
const INT8_MODELS = [
  { checkpoint: 'all-MiniLM-L6-v2', label: 'all-MiniLM-L6-v2' },
  { checkpoint: 'all-mpnet-base-v2', label: 'all-mpnet-base-v2' },
];
const INT8_SUBSETS = { throughput: 256, latency: 64 };
const INT8_ROUNDS = 3;
/** Engine `id` of `list` with `fields` over it, its options merged. */
const derive = (list, id, fields = {}) => {
  const base = list.find((engine) => engine.id === id);
  return { ...base, ...fields, options: { ...base.options, ...fields.options } };
};
const variant = (id, fields) => derive(ENGINES, id, fields);
const ORT_INT8 = { weights: 'int8 dynamic, per channel (Optimum avx512_vnni)', options: { file: 'model_qint8_avx512_vnni.onnx' } };
const llamaCpp = (fields) => ({ python: 'llama-cpp', needsGguf: true, weights: 'q8_0 GGUF (convert_hf_to_gguf.py)', ...fields });
// Each int8 engine with its own recommended recipe (weights/export-onnx.py, weights/export-gguf.sh
// say where each comes from), beside the float32 run of the same engine where there is one.
const INT8_ENGINES = [
  variant('sentvec-native', { weights: 'fp32' }),
  variant('sentvec-native', { id: 'sentvec-native-int8', weights: 'int8 (q8_0 blocks, quantized at load)', options: { dtype: 'int8' } }),
  variant('sentvec-wasm', { weights: 'fp32' }),
  variant('sentvec-wasm', { id: 'sentvec-wasm-int8', weights: 'int8 (q8_0 blocks, quantized at load)', options: { dtype: 'int8' } }),
  variant('onnxruntime-node', { weights: 'fp32' }),
  variant('onnxruntime-node', { id: 'onnxruntime-node-int8', ...ORT_INT8 }),
  variant('onnxruntime-web', { id: 'onnxruntime-web-int8', ...ORT_INT8 }),
  variant('transformers-js', { id: 'transformers-js-q8', weights: "q8 (its convert.py: per channel, 7-bit weights)", options: { dtype: 'q8' } }),
  llamaCpp({ id: 'llama-cpp-q8_0', weights: 'q8_0 GGUF, flash attention on', options: { flashAttention: true } }),
  llamaCpp({ id: 'llama-cpp-q8_0-no-fa', weights: 'q8_0 GGUF, flash attention off', options: { flashAttention: false } }),
];

// The wasm-int8 section: sentvec's two WASM modules and onnxruntime-web, each in float32 and
// int8 (onnxruntime-web with the int8 section's file), on one thread as a browser page without
// worker threads runs them. `baselines` name the engines each int8 one's speed is divided by.
const oneThreadEngine = (id, fields) => derive(ONE_THREAD, id, fields);
const WASM_INT8_ENGINES = [
  oneThreadEngine('sentvec-wasm-simd', { weights: 'fp32' }),
  oneThreadEngine('sentvec-wasm-simd', { id: 'sentvec-wasm-simd-int8', weights: 'int8 (q8_0 blocks)', options: { dtype: 'int8' },
    baselines: ['sentvec-wasm-simd', 'onnxruntime-web-int8'] }),
  oneThreadEngine('sentvec-wasm-relaxed', { weights: 'fp32' }),
  oneThreadEngine('sentvec-wasm-relaxed', { id: 'sentvec-wasm-relaxed-int8', weights: 'int8 (q8_0 blocks)', options: { dtype: 'int8' },
    baselines: ['sentvec-wasm-relaxed', 'sentvec-wasm-simd', 'onnxruntime-web-int8'] }),
  oneThreadEngine('onnxruntime-web', { weights: 'fp32' }),
  oneThreadEngine('onnxruntime-web', { id: 'onnxruntime-web-int8', ...ORT_INT8, baselines: ['onnxruntime-web'] }),
];

function option(name) {
  const arg = process.argv.find((value) => value.startsWith(`--${name}=`));
  return arg ? arg.slice(name.length + 3).split(',') : undefined;
}

/** STS-B test pairs: column 5 is the gold score, 6 and 7 the sentences; some rows carry two more source columns. */
function readPairs() {
  return fs
    .readFileSync(stsbFile, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => line.split('\t'))
    .map((columns) => ({ score: Number(columns[4]), sentences: columns.slice(5, 7) }));
}

function workerCommand(engine, spec) {
  if (engine.python) {
    const folder = spec.checkpoint && checkpointFolder(spec.checkpoint);
    const pythonSpec = { ...spec, ...engine.options, engine: engine.python, folder };
    if (engine.python === 'llama-cpp') {
      if (spec.checkpoint) Object.assign(pythonSpec, { gguf: ggufFile(spec.checkpoint), normalize: sentenceTransformersModules(folder).normalize });
      return [llamaenvPython, [path.join(here, 'worker.py'), JSON.stringify(pythonSpec)]];
    }
    return [refenvPython, [path.join(here, 'worker.py'), JSON.stringify(pythonSpec)]];
  }
  return [process.execPath, [...(engine.nodeFlags ?? []), path.join(here, 'worker.mjs'), JSON.stringify({ ...spec, engine: engine.driver, options: engine.options })]];
}

const childEnv = {
  ...process.env,
  OMP_NUM_THREADS: String(THREADS),
  MKL_NUM_THREADS: String(THREADS),
  SENTVEC_THREADS: String(THREADS),
  TOKENIZERS_PARALLELISM: 'false',
  HF_HUB_OFFLINE: '1',
  TRANSFORMERS_OFFLINE: '1',
};

/** Runs one worker; resolves with its RESULT and the milliseconds from spawn to that line. */
function runWorker(engine, spec) {
  const [command, args] = workerCommand(engine, spec);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const env = { ...childEnv, SENTVEC_THREADS: String(spec.threads ?? THREADS), ...engine.env };
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let answer;
    const timer = setTimeout(() => child.kill('SIGKILL'), WORKER_TIMEOUT_MS);
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const line = stdout.split('\n').find((candidate) => candidate.startsWith('RESULT '));
      if (line && !answer) answer = { result: JSON.parse(line.slice(7)), ms: performance.now() - started };
    });
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (answer && code === 0) return resolve(answer);
      const reason = signal === 'SIGKILL' ? `timed out after ${WORKER_TIMEOUT_MS / 60000} min` : lastErrorLine(stderr) || `exit code ${code}`;
      reject(new Error(`${engine.id} ${spec.task} ${spec.checkpoint}: ${reason}`));
    });
  });
}

function lastErrorLine(stderr) {
  const lines = stderr.split('\n').map((line) => line.trim()).filter(Boolean);
  return lines.findLast((line) => /error|not available|cannot|unavailable|not supported/i.test(line)) ?? lines.at(-1);
}

const readVectors = (file) => new Float32Array(fs.readFileSync(file).buffer.slice(0));

function maxAbsDelta(fileA, fileB) {
  const [a, b] = [readVectors(fileA), readVectors(fileB)];
  if (a.length !== b.length) throw new Error(`vectors differ in size: ${a.length} vs ${b.length} values`);
  let delta = 0;
  for (let i = 0; i < a.length; i++) delta = Math.max(delta, Math.abs(a[i] - b[i]));
  return delta;
}

/** Row i of `count` rows of one width laid end to end. */
const row = (vectors, count, i) => vectors.subarray((i * vectors.length) / count, ((i + 1) * vectors.length) / count);

/** Cosine of row i of `a` with row i of `b`, both `count` rows of one width. */
function rowCosines(a, b, count) {
  if (a.length !== b.length) throw new Error(`vectors differ in size: ${a.length} vs ${b.length} values`);
  return Array.from({ length: count }, (_, i) => cosine(row(a, count, i), row(b, count, i)));
}

/** STS-B Spearman ×100 of the cosine of each pair's two vectors (sentence 1, sentence 2, in pair order) against the gold scores. */
function stsSpearman(vectors, pairs) {
  const count = 2 * pairs.length;
  const scores = pairs.map((_, i) => cosine(row(vectors, count, 2 * i), row(vectors, count, 2 * i + 1)));
  return spearman(scores, pairs.map((pair) => pair.score)) * 100;
}

const median = (values) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];
const percentile = (values, p) => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

/** Bytes of a folder's files, nested node_modules left to the packages they hold. */
function folderBytes(folder) {
  let bytes = 0;
  for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
    const entryPath = path.join(folder, entry.name);
    if (entry.isDirectory()) bytes += entry.name === 'node_modules' ? 0 : folderBytes(entryPath);
    else if (entry.isFile()) bytes += fs.statSync(entryPath).size;
  }
  return bytes;
}

/** Installed bytes of npm packages and everything they depend on, resolved as Node resolves them from projectFolder. */
function npmClosureBytes(roots, projectFolder) {
  const visited = new Set();
  const visit = (name, fromFolder) => {
    let folder = fromFolder;
    while (!fs.existsSync(path.join(folder, 'node_modules', name, 'package.json'))) {
      if (folder === projectFolder) return;
      folder = path.dirname(folder);
    }
    const packageFolder = path.join(folder, 'node_modules', name);
    if (visited.has(packageFolder)) return;
    visited.add(packageFolder);
    const manifest = JSON.parse(fs.readFileSync(path.join(packageFolder, 'package.json'), 'utf8'));
    for (const dependency of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies })) visit(dependency, packageFolder);
  };
  roots.forEach((name) => visit(name, projectFolder));
  return [...visited].reduce((sum, folder) => sum + folderBytes(folder), 0);
}

/** What `npm install sentvec` leaves: the published files, the addon its install step builds, its dependencies. */
function sentvecBytes() {
  const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
  const parts = [...(manifest.files ?? []), 'build/Release'].map((part) => path.join(repoRoot, part)).filter((part) => fs.existsSync(part));
  const partBytes = (part) => (fs.statSync(part).isDirectory() ? folderBytes(part) : fs.statSync(part).size);
  return parts.reduce((sum, part) => sum + partBytes(part), 0) + npmClosureBytes(Object.keys(manifest.dependencies ?? {}), repoRoot);
}

async function engineFacts(engine) {
  if (engine.python) {
    const { result } = await runWorker(engine, { task: 'size' });
    const { versions } = result;
    const label = engine.python === 'llama-cpp'
      ? `llama-cpp-python ${versions['llama-cpp-python']} (llama.cpp, built here from the sdist)`
      : `sentence-transformers ${versions['sentence-transformers']} (PyTorch ${versions.torch}, transformers ${versions.transformers})`;
    return { label, installedBytes: result.installedBytes, cudaLibraryBytes: result.cudaLibraryBytes };
  }
  if (engine.driver === 'sentvec') {
    const version = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).version;
    return { label: `sentvec ${version} (${engine.options.backend})`, installedBytes: sentvecBytes() };
  }
  const labels = {
    'transformers-js': `@huggingface/transformers ${peerVersion('@huggingface/transformers')} (onnxruntime-node)`,
    'onnxruntime-node': `onnxruntime-node ${peerVersion('onnxruntime-node')} + tokenizers.js`,
    'onnxruntime-web': `onnxruntime-web ${peerVersion('onnxruntime-web')} (WASM) + tokenizers.js`,
  };
  return { label: labels[engine.driver], installedBytes: npmClosureBytes(engine.packages, here) };
}

async function describeEngines(engines) {
  const described = [];
  for (const engine of engines) {
    try {
      described.push({ id: engine.id, ...(await engineFacts(engine)), weights: engine.weights });
    } catch (error) {
      described.push({ id: engine.id, label: engine.id, weights: engine.weights, error: error.message });
    }
  }
  return described;
}

/** Runs a preparation script for the checkpoints that lack its output; answers the checkpoints it failed for, with why. */
function prepare(script, models, isReady) {
  const missing = models.filter((model) => !isReady(model.checkpoint));
  const failures = new Map();
  for (const model of missing) {
    log(`${model.checkpoint}: ${path.basename(script)}`);
    const run = spawnSync('bash', [script, model.checkpoint], { encoding: 'utf8', stdio: ['ignore', 'inherit', 'pipe'] });
    process.stderr.write(run.stderr ?? '');
    if (run.status !== 0) failures.set(model.checkpoint, `${path.basename(script)} failed: ${lastErrorLine(run.stderr ?? '') ?? `exit code ${run.status}`}`);
  }
  return failures;
}

const onnxReady = (checkpoint) => ['.complete', '.quantized'].every((stamp) => fs.existsSync(path.join(onnxFolder(checkpoint), stamp)));
const ggufReady = (checkpoint) => fs.existsSync(`${ggufFile(checkpoint)}.complete`);

/** The llama.cpp engine's Python environment, built from PyPI by install-llama-cpp.sh if missing; an error message if it cannot be. */
function ensureLlamaEnv() {
  if (spawnSync(llamaenvPython, ['-c', 'import llama_cpp, packaging']).status === 0) return undefined;
  log('installing llama-cpp-python (pip builds llama.cpp from source: minutes)');
  const installed = spawnSync('bash', [path.join(here, 'install-llama-cpp.sh')], { stdio: 'inherit' });
  return installed.status === 0 ? undefined : 'installing llama-cpp-python failed (see install-llama-cpp.sh above)';
}

const log = (message) => console.error(`bench:peers: ${message}`);

/** What every section's report opens with, the load average seen before each timed run, and the closing figures. */
function openSection() {
  const startedAt = new Date();
  const loadAverages = [];
  return {
    header: { startedAt: startedAt.toISOString(), machine: machine(), threads: THREADS },
    beforeTimedRun: () => loadAverages.push(os.loadavg()[0]),
    close: (report) => ({
      ...report,
      loadAverage: loadAverages.length > 0 ? { min: Math.min(...loadAverages), max: Math.max(...loadAverages) } : undefined,
      minutes: (Date.now() - startedAt.getTime()) / 60000,
    }),
  };
}

/** The engines and models of a list that --engines and --models select. */
const selected = (list, name, key) => list.filter((item) => !option(name) || option(name).includes(item[key]));

function machine() {
  // The int8 kernels each engine picks depend on these extensions, so the report names them.
  const flags = fs.existsSync('/proc/cpuinfo') ? (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1].trim().split(/\s+/) ?? []) : [];
  const isa = ['avx2', 'fma', 'avx512f', 'avx512bw', 'avx512_vnni', 'avx_vnni', 'avx512_bf16'].filter((flag) => flags.includes(flag));
  return { cpu: os.cpus()[0]?.model ?? 'unknown', isa, cores: os.cpus().length, node: process.version };
}

async function peersSection(context) {
  const { pairs, scratch, sentencesFile } = context;
  const sentences = pairs.flatMap((pair) => pair.sentences);
  const engines = selected(ENGINES, 'engines', 'id');
  const models = selected(MODELS, 'models', 'checkpoint');
  const onnxFailures = prepare(path.join(repoRoot, 'weights/export-onnx.sh'), models, onnxReady);
  const section = openSection();
  const report = {
    ...section.header,
    tolerance: TOLERANCE,
    subsets: { ...SUBSETS, sentences: sentences.length },
    engines: await describeEngines(engines),
    models: [],
  };

  const reference = engines.find((engine) => engine.id === 'sentence-transformers') ?? ENGINES[0];
  for (const model of models) {
    const base = { checkpoint: model.checkpoint, threads: THREADS, sentencesFile };
    const checkFile = path.join(scratch, `check-${model.checkpoint}.json`);
    fs.writeFileSync(checkFile, JSON.stringify(sentences.slice(0, SUBSETS.check)));
    const vectorsSpec = (id) => ({ ...base, task: 'vectors', sentencesFile: checkFile, batchSize: 32, vectorsFile: path.join(scratch, `${model.checkpoint}-${id}.f32`) });
    const modelReport = { checkpoint: model.checkpoint, label: model.label, timed: model.timed, results: [] };
    report.models.push(modelReport);

    log(`${model.checkpoint}: reference vectors from sentence-transformers`);
    const referenceRun = await runWorker(reference, vectorsSpec(reference.id)).catch((error) => error);
    const referenceFile = referenceRun instanceof Error ? undefined : vectorsSpec(reference.id).vectorsFile;
    if (!referenceFile) log(`no reference vectors, so no engine is checked: ${referenceRun.message}`);

    for (const engine of engines) {
      const entry = { engine: engine.id };
      modelReport.results.push(entry);
      if (engine.needsOnnx && onnxFailures.has(model.checkpoint)) {
        entry.error = onnxFailures.get(model.checkpoint);
        continue;
      }
      try {
        log(`${model.checkpoint}: ${engine.id}: check`);
        if (engine === reference && !referenceFile) throw referenceRun;
        const { result: checked } = engine === reference ? referenceRun : await runWorker(engine, vectorsSpec(engine.id));
        entry.peakRssBytes = checked.peakRssBytes;
        if (referenceFile) {
          entry.maxAbsDelta = engine === reference ? 0 : maxAbsDelta(referenceFile, vectorsSpec(engine.id).vectorsFile);
          entry.flagged = entry.maxAbsDelta > TOLERANCE;
        }
        if (!model.timed) continue;

        log(`${model.checkpoint}: ${engine.id}: timing`);
        section.beforeTimedRun();
        const batches = [[1, SUBSETS.latency], ...[8, 32, 128].map((batchSize) => [batchSize, SUBSETS.throughput])];
        const { result: timing } = await runWorker(engine, { ...base, task: 'timing', batches });
        entry.sentencesPerSecond = timing.throughput;
        entry.latencyMs = { p50: percentile(timing.latenciesMs, 50), p99: percentile(timing.latenciesMs, 99) };

        log(`${model.checkpoint}: ${engine.id}: cold starts`);
        const coldMs = [];
        for (let run = 0; run < SUBSETS.coldStarts; run++) coldMs.push((await runWorker(engine, { ...base, task: 'cold' })).ms);
        entry.coldStartMs = median(coldMs);
      } catch (error) {
        entry.error = error.message;
        log(error.message);
      }
    }
  }

  if (!option('engines')) {
    report.oneThread = [];
    for (const model of models.filter((candidate) => candidate.timed)) {
      const row = { checkpoint: model.checkpoint, label: model.label, sentencesPerSecond: {}, errors: {} };
      report.oneThread.push(row);
      for (const engine of ONE_THREAD) {
        try {
          if (engine.needsOnnx && onnxFailures.has(model.checkpoint)) throw new Error(onnxFailures.get(model.checkpoint));
          log(`${model.checkpoint}: ${engine.id}: one thread, batch 32`);
          section.beforeTimedRun();
          const spec = { checkpoint: model.checkpoint, threads: 1, sentencesFile, task: 'timing', batches: [[32, SUBSETS.throughput]] };
          const { result } = await runWorker(engine, spec);
          row.sentencesPerSecond[engine.id] = result.throughput[32];
        } catch (error) {
          row.errors[engine.id] = error.message;
          log(error.message);
        }
      }
    }
    report.oneThreadEngines = ONE_THREAD.map(({ id, label }) => ({ id, label }));
  }

  return section.close(report);
}

/** sentence-transformers' run of `spec` for a model of `section`; undefined, with why in modelReport.error, if it fails. */
async function runReference(reference, spec, modelReport, section) {
  log(`${modelReport.checkpoint}: ${section}: reference vectors from sentence-transformers`);
  const run = await runWorker(reference, spec).catch((error) => error);
  if (!(run instanceof Error)) return run;
  modelReport.error = `no reference vectors: ${run.message}`;
  log(modelReport.error);
  return undefined;
}

/**
 * Each engine encodes every STS-B test sentence at batch 32 (its peak RSS is taken there); the
 * vectors give the STS-B Spearman and the cosine of each sentence to sentence-transformers' float32
 * vector. Every engine is scored before any is timed, so that the timed runs sit together.
 */
async function int8Section(context) {
  const { pairs, scratch, sentencesFile } = context;
  const engines = selected(INT8_ENGINES, 'engines', 'id');
  const models = selected(INT8_MODELS, 'models', 'checkpoint');
  const timing = timingPlan();
  const onnxFailures = engines.some((engine) => engine.needsOnnx) ? prepare(path.join(repoRoot, 'weights/export-onnx.sh'), models, onnxReady) : new Map();
  const llamaProblem = engines.some((engine) => engine.needsGguf) ? ensureLlamaEnv() : undefined;
  const ggufFailures = engines.some((engine) => engine.needsGguf) ? prepare(path.join(repoRoot, 'weights/export-gguf.sh'), models, ggufReady) : new Map();
  const reference = ENGINES.find((engine) => engine.id === 'sentence-transformers');
  const section = openSection();
  const report = {
    ...section.header,
    subsets: { ...INT8_SUBSETS, sentences: 2 * pairs.length, pairs: pairs.length, batchSizes: timing.batchSizes, rounds: timing.rounds },
    reference: (await describeEngines([reference]))[0],
    engines: await describeEngines(engines),
    models: [],
  };

  const base = (model) => ({ checkpoint: model.checkpoint, threads: THREADS, sentencesFile });
  for (const model of models) {
    const vectorsSpec = (id) => ({ ...base(model), task: 'vectors', batchSize: 32, vectorsFile: path.join(scratch, `int8-${model.checkpoint}-${id}.f32`) });
    const modelReport = { checkpoint: model.checkpoint, label: model.label, results: [] };
    report.models.push(modelReport);

    const referenceRun = await runReference(reference, vectorsSpec(reference.id), modelReport, 'int8');
    if (!referenceRun) continue;
    const referenceVectors = readVectors(vectorsSpec(reference.id).vectorsFile);
    modelReport.reference = { spearman: stsSpearman(referenceVectors, pairs), peakRssBytes: referenceRun.result.peakRssBytes };

    for (const engine of engines) {
      const entry = { engine: engine.id };
      modelReport.results.push(entry);
      const problem = (engine.needsOnnx && onnxFailures.get(model.checkpoint)) || (engine.needsGguf && (llamaProblem ?? ggufFailures.get(model.checkpoint)));
      if (problem) {
        entry.error = problem;
        continue;
      }
      try {
        log(`${model.checkpoint}: ${engine.id}: all STS-B sentences`);
        const { result: checked } = await runWorker(engine, vectorsSpec(engine.id));
        const vectors = readVectors(vectorsSpec(engine.id).vectorsFile);
        const cosines = rowCosines(vectors, referenceVectors, 2 * pairs.length);
        entry.peakRssBytes = checked.peakRssBytes;
        entry.spearman = stsSpearman(vectors, pairs);
        entry.meanCosine = cosines.reduce((sum, cosine) => sum + cosine, 0) / cosines.length;
        entry.p1Cosine = percentile(cosines, 1);
      } catch (error) {
        entry.error = error.message;
        log(error.message);
      }
    }
  }

  for (const [index, model] of models.entries()) {
    const entries = report.models[index].results.filter((result) => result.spearman !== undefined);
    await timeInTurns(section, model, engines, entries, { ...base(model), ...timing.spec }, timing.rounds);
  }

  return section.close(report);
}

/** The int8 sections' batch sizes (--batches), rounds (--rounds) and the timing task's batches. */
function timingPlan() {
  const batchSizes = (option('batches') ?? ['1', '8', '32', '128']).map(Number);
  const rounds = Number(option('rounds')?.[0] ?? INT8_ROUNDS);
  if (!(Number.isInteger(rounds) && rounds > 0)) throw new Error(`--rounds must be a positive integer, got ${option('rounds')}`);
  const batches = batchSizes.map((batchSize) => [batchSize, batchSize === 1 ? INT8_SUBSETS.latency : INT8_SUBSETS.throughput]);
  return { batchSizes, rounds, spec: { task: 'timing', batches } };
}

/**
 * Times one model's engines (`entries`, those without an error) with `spec`, `rounds` times:
 * speeds on a shared machine drift by tens of percent from one minute to the next, so the engines
 * take turns, round after round, and each keeps its median round (and the range): a slow minute
 * then lands on every engine alike.
 */
async function timeInTurns(section, model, engines, entries, spec, rounds) {
  const runs = new Map(entries.map((entry) => [entry, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const entry of entries.filter((candidate) => candidate.error === undefined)) {
      try {
        log(`${model.checkpoint}: ${entry.engine}: timing, round ${round} of ${rounds}`);
        section.beforeTimedRun();
        const engine = engines.find((candidate) => candidate.id === entry.engine);
        const { result: timing } = await runWorker(engine, spec);
        runs.get(entry).push(timing.throughput);
      } catch (error) {
        entry.error = error.message;
        log(error.message);
      }
    }
  }
  const batchSizes = spec.batches.map(([batchSize]) => batchSize);
  for (const [entry, throughputs] of runs) {
    if (entry.error !== undefined || throughputs.length === 0) continue;
    const perBatch = (pick) => Object.fromEntries(batchSizes.map((batchSize) => [batchSize, pick(throughputs.map((run) => run[batchSize]).sort((a, b) => a - b))]));
    entry.sentencesPerSecond = perBatch((sorted) => sorted[(sorted.length - 1) >> 1]);
    entry.sentencesPerSecondRange = perBatch((sorted) => [sorted[0], sorted.at(-1)]);
  }
}

/**
 * The WASM engines on one thread: each one's vectors of the first SUBSETS.check sentences against
 * sentence-transformers' float32 ones (mean and lowest cosine), then sentences/s, timed in turns.
 */
async function wasmInt8Section(context) {
  const { pairs, scratch, sentencesFile } = context;
  const engines = selected(WASM_INT8_ENGINES, 'engines', 'id');
  const models = selected(INT8_MODELS, 'models', 'checkpoint');
  const onnxFailures = engines.some((engine) => engine.needsOnnx) ? prepare(path.join(repoRoot, 'weights/export-onnx.sh'), models, onnxReady) : new Map();
  const reference = ENGINES.find((engine) => engine.id === 'sentence-transformers');
  const timing = timingPlan();
  const section = openSection();
  const report = {
    ...section.header,
    threads: 1,
    subsets: { ...INT8_SUBSETS, check: SUBSETS.check, batchSizes: timing.batchSizes, rounds: timing.rounds },
    engines: engines.map(({ id, label, weights, baselines }) => ({ id, label, weights, baselines })),
    models: [],
  };
  const checkFile = path.join(scratch, 'wasm-int8-check.json');
  fs.writeFileSync(checkFile, JSON.stringify(pairs.flatMap((pair) => pair.sentences).slice(0, SUBSETS.check)));

  for (const model of models) {
    const base = { checkpoint: model.checkpoint, threads: 1, sentencesFile };
    const vectorsSpec = (id) => ({ ...base, task: 'vectors', sentencesFile: checkFile, batchSize: 32, vectorsFile: path.join(scratch, `wasm-int8-${model.checkpoint}-${id}.f32`) });
    const modelReport = { checkpoint: model.checkpoint, label: model.label, results: [] };
    report.models.push(modelReport);
    if (!(await runReference(reference, vectorsSpec(reference.id), modelReport, 'wasm-int8'))) continue;
    const referenceVectors = readVectors(vectorsSpec(reference.id).vectorsFile);
    for (const engine of engines) {
      const entry = { engine: engine.id };
      modelReport.results.push(entry);
      try {
        if (engine.needsOnnx && onnxFailures.has(model.checkpoint)) throw new Error(onnxFailures.get(model.checkpoint));
        log(`${model.checkpoint}: ${engine.id}: one thread, check`);
        await runWorker(engine, vectorsSpec(engine.id));
        const cosines = rowCosines(readVectors(vectorsSpec(engine.id).vectorsFile), referenceVectors, SUBSETS.check);
        entry.meanCosine = cosines.reduce((sum, cosine) => sum + cosine, 0) / cosines.length;
        entry.minCosine = Math.min(...cosines);
      } catch (error) {
        entry.error = error.message;
        log(error.message);
      }
    }
    await timeInTurns(section, model, engines, modelReport.results, { ...base, ...timing.spec }, timing.rounds);
  }

  return section.close(report);
}

const SECTIONS = ['peers', 'int8', 'wasm-int8'];

async function main() {
  const sections = option('sections') ?? SECTIONS;
  const unknown = sections.filter((section) => !SECTIONS.includes(section));
  if (unknown.length > 0) throw new Error(`unknown section ${unknown.join(', ')}; expected ${SECTIONS.join(', ')}`);
  const int8Models = sections.some((section) => section !== 'peers') ? INT8_MODELS : [];
  const wanted = [...(sections.includes('peers') ? MODELS : []), ...int8Models];
  const unfetched = [...new Set(wanted.map((model) => model.checkpoint))]
    .filter((checkpoint) => !option('models') || option('models').includes(checkpoint))
    .filter((checkpoint) => !fs.existsSync(path.join(checkpointFolder(checkpoint), '.complete')));
  if (unfetched.length > 0) {
    log(`missing checkpoints ${unfetched.join(', ')}: run \`bash weights/fetch.sh\` first`);
    return;
  }
  const pairs = readPairs();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'sentvec-peers-'));
  const sentencesFile = path.join(scratch, 'sentences.json');
  fs.writeFileSync(sentencesFile, JSON.stringify(pairs.flatMap((pair) => pair.sentences)));
  const context = { pairs, scratch, sentencesFile };

  const started = Date.now();
  const resultsFile = path.join(resultsDir, 'peers.json');
  const previous = fs.existsSync(resultsFile) ? JSON.parse(fs.readFileSync(resultsFile, 'utf8')) : {};
  const { int8: previousInt8, wasmInt8: previousWasmInt8, ...previousPeers } = previous;
  const peers = sections.includes('peers') ? await peersSection(context) : previousPeers;
  const int8 = sections.includes('int8') ? await int8Section(context) : previousInt8;
  const wasmInt8 = sections.includes('wasm-int8') ? await wasmInt8Section(context) : previousWasmInt8;
  const report = { ...peers, ...(int8 ? { int8 } : {}), ...(wasmInt8 ? { wasmInt8 } : {}) };
  fs.mkdirSync(resultsDir, { recursive: true });
  fs.writeFileSync(resultsFile, `${JSON.stringify(report, null, 2)}\n`);
  fs.writeFileSync(path.join(resultsDir, 'peers.md'), renderMarkdown(report));
  fs.writeFileSync(path.join(resultsDir, 'peers.svg'), renderSvg(report));
  fs.rmSync(scratch, { recursive: true, force: true });
  log(`done in ${((Date.now() - started) / 60000).toFixed(1)} min: bench/results/peers.md, peers.svg, peers.json`);
}

await main();
