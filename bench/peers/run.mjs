// Benchmarks sentvec against its peers on STS-B test sentences (issue 6) and writes
// bench/results/peers.{md,svg,json}. Every measurement runs in a fresh child process per engine
// (worker.mjs / worker.py) so that peak RSS and cold start belong to that engine alone, and every
// engine's vectors are checked against sentence-transformers before it is timed.
// Usage: node run.mjs [--engines=id,id] [--models=checkpoint,checkpoint]
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkpointFolder, onnxFolder } from './checkpoint.mjs';
import { renderMarkdown, renderSvg } from './report.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');
const resultsDir = path.join(repoRoot, 'bench/results');
const refenvPython = path.join(process.env.SENTVEC_REFENV ?? path.join(os.homedir(), '.cache/sentvec/refenv'), 'bin/python');
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
  { id: 'sentence-transformers', python: true },
  { id: 'sentvec-native', driver: 'sentvec', backend: 'native' },
  { id: 'sentvec-wasm', driver: 'sentvec', backend: 'wasm' },
  { id: 'transformers-js', driver: 'transformers-js', needsOnnx: true, packages: ['@huggingface/transformers'] },
  { id: 'onnxruntime-node', driver: 'onnxruntime-node', needsOnnx: true, packages: ['onnxruntime-node', '@huggingface/tokenizers'] },
  { id: 'onnxruntime-web', driver: 'onnxruntime-web', needsOnnx: true, packages: ['onnxruntime-web', '@huggingface/tokenizers'] },
];

// One thread at batch 32, where the WASM builds compete (issue 5): sentvec's SIMD and
// relaxed-SIMD modules, onnxruntime-web, and sentvec native for scale.
const RELAXED_FLAG = '--experimental-wasm-relaxed-simd';
const ONE_THREAD = [
  { id: 'sentvec-wasm-simd', label: 'sentvec wasm, SIMD', driver: 'sentvec', backend: 'wasm', env: { SENTVEC_WASM: 'simd' } },
  // Node 20 validates relaxed SIMD only behind a V8 flag; later V8s (Node 22, Chrome, Deno) by default.
  { id: 'sentvec-wasm-relaxed', label: 'sentvec wasm, relaxed SIMD', driver: 'sentvec', backend: 'wasm', env: { SENTVEC_WASM: 'relaxed' }, nodeFlags: [RELAXED_FLAG] },
  { id: 'onnxruntime-web', label: 'onnxruntime-web (WASM)', driver: 'onnxruntime-web', needsOnnx: true },
  { id: 'sentvec-native', label: 'sentvec native', driver: 'sentvec', backend: 'native' },
];

function option(name) {
  const arg = process.argv.find((value) => value.startsWith(`--${name}=`));
  return arg ? arg.slice(name.length + 3).split(',') : undefined;
}

function readSentences() {
  // Columns 6 and 7 are the sentence pair; some rows carry two more source columns after them.
  return fs
    .readFileSync(stsbFile, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .flatMap((line) => line.split('\t').slice(5, 7));
}

function workerCommand(engine, spec) {
  if (engine.python) {
    const folder = spec.checkpoint && checkpointFolder(spec.checkpoint);
    return [refenvPython, [path.join(here, 'worker.py'), JSON.stringify({ ...spec, folder })]];
  }
  return [process.execPath, [...(engine.nodeFlags ?? []), path.join(here, 'worker.mjs'), JSON.stringify({ ...spec, engine: engine.driver, backend: engine.backend })]];
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
  return lines.findLast((line) => /error|not available|cannot|unavailable/i.test(line)) ?? lines.at(-1);
}

function maxAbsDelta(fileA, fileB) {
  const a = new Float32Array(fs.readFileSync(fileA).buffer.slice(0));
  const b = new Float32Array(fs.readFileSync(fileB).buffer.slice(0));
  if (a.length !== b.length) throw new Error(`vectors differ in size: ${a.length} vs ${b.length} values`);
  let delta = 0;
  for (let i = 0; i < a.length; i++) delta = Math.max(delta, Math.abs(a[i] - b[i]));
  return delta;
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
    return {
      label: `sentence-transformers ${versions['sentence-transformers']} (PyTorch ${versions.torch}, transformers ${versions.transformers})`,
      installedBytes: result.installedBytes,
      cudaLibraryBytes: result.cudaLibraryBytes,
    };
  }
  if (engine.driver === 'sentvec') {
    const version = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).version;
    return { label: `sentvec ${version} (${engine.backend})`, installedBytes: sentvecBytes() };
  }
  const labels = {
    'transformers-js': `@huggingface/transformers ${peerVersion('@huggingface/transformers')} (onnxruntime-node)`,
    'onnxruntime-node': `onnxruntime-node ${peerVersion('onnxruntime-node')} + tokenizers.js`,
    'onnxruntime-web': `onnxruntime-web ${peerVersion('onnxruntime-web')} (WASM) + tokenizers.js`,
  };
  return { label: labels[engine.id], installedBytes: npmClosureBytes(engine.packages, here) };
}

function ensureOnnxExports(models) {
  const missing = models.filter((model) => !fs.existsSync(path.join(onnxFolder(model.checkpoint), '.complete')));
  if (missing.length === 0) return undefined;
  console.error(`bench:peers: exporting ${missing.map((model) => model.checkpoint).join(', ')} to ONNX`);
  const exported = spawnSync('bash', [path.join(repoRoot, 'weights/export-onnx.sh'), ...missing.map((model) => model.checkpoint)], { stdio: 'inherit' });
  return exported.status === 0 ? undefined : 'the ONNX export failed (see weights/export-onnx.sh above)';
}

const log = (message) => console.error(`bench:peers: ${message}`);

async function main() {
  const engines = ENGINES.filter((engine) => !option('engines') || option('engines').includes(engine.id));
  const models = MODELS.filter((model) => !option('models') || option('models').includes(model.checkpoint));
  const unfetched = models.filter((model) => !fs.existsSync(path.join(checkpointFolder(model.checkpoint), '.complete')));
  if (unfetched.length > 0) {
    log(`missing checkpoints ${unfetched.map((model) => model.checkpoint).join(', ')}: run \`bash weights/fetch.sh\` first`);
    return;
  }
  const onnxProblem = ensureOnnxExports(models);
  const sentences = readSentences();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'sentvec-peers-'));
  const sentencesFile = path.join(scratch, 'sentences.json');
  fs.writeFileSync(sentencesFile, JSON.stringify(sentences));

  const startedAt = new Date();
  const loadAverages = [];
  const report = {
    startedAt: startedAt.toISOString(),
    machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, node: process.version },
    threads: THREADS,
    tolerance: TOLERANCE,
    subsets: { ...SUBSETS, sentences: sentences.length },
    engines: [],
    models: [],
  };

  for (const engine of engines) {
    try {
      report.engines.push({ id: engine.id, ...(await engineFacts(engine)) });
    } catch (error) {
      report.engines.push({ id: engine.id, label: engine.id, error: error.message });
    }
  }

  const reference = engines.find((engine) => engine.python) ?? ENGINES[0];
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
      if (engine.needsOnnx && onnxProblem) {
        entry.error = onnxProblem;
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
        loadAverages.push(os.loadavg()[0]);
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
          if (engine.needsOnnx && onnxProblem) throw new Error(onnxProblem);
          log(`${model.checkpoint}: ${engine.id}: one thread, batch 32`);
          loadAverages.push(os.loadavg()[0]);
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

  if (loadAverages.length > 0) report.loadAverage = { min: Math.min(...loadAverages), max: Math.max(...loadAverages) };
  report.minutes = (Date.now() - startedAt.getTime()) / 60000;
  fs.mkdirSync(resultsDir, { recursive: true });
  fs.writeFileSync(path.join(resultsDir, 'peers.json'), `${JSON.stringify(report, null, 2)}\n`);
  fs.writeFileSync(path.join(resultsDir, 'peers.md'), renderMarkdown(report));
  fs.writeFileSync(path.join(resultsDir, 'peers.svg'), renderSvg(report));
  fs.rmSync(scratch, { recursive: true, force: true });
  log(`done in ${report.minutes.toFixed(1)} min: bench/results/peers.md, peers.svg, peers.json`);
}

await main();
