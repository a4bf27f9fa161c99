// The package under Deno, a runtime with its own module loader and permission model: the Node
// entry loads all-MiniLM-L6-v2 from its folder on the WASM backend, with read access to the
// build and the checkpoint only, and embeds STS-B test sentences as sentence-transformers does.
import path from 'node:path';
import test from 'tape';
import type { DenoJob, DenoResult } from './deno-embed.js';
import { checkpointDir, projectRoot, stsTestSentences } from './fixtures.js';
import { agreement, embeddingGolden } from './goldens.js';
import { runToEnd, type Finished } from './edge/runtime-process.js';

const MAX_ABS = 1e-4;
const SENTENCES = 64;
const TIMEOUT_MS = 180_000;
// the devDependency's launcher, which finds the platform's binary even when install scripts did not run
const DENO = path.join(projectRoot, 'node_modules', '.bin', 'deno');

function runDeno(job: DenoJob): Promise<Finished> {
  const dist = path.join(projectRoot, 'dist');
  return runToEnd(DENO, [
    'run', '--cached-only', '--no-prompt', '--no-config', `--allow-read=${dist},${job.model}`, '--allow-env',
    path.join(dist, 'test', 'deno-embed.js'),
  ], JSON.stringify(job), TIMEOUT_MS);
}

test(`deno: ${SENTENCES} STS-B sentences on the WASM backend match sentence-transformers`, async (t) => {
  const name = 'all-MiniLM-L6-v2';
  const started = performance.now();
  const { status, stdout, stderr } = await runDeno({ model: checkpointDir(name), sentences: stsTestSentences().slice(0, SENTENCES) });
  const seconds = (performance.now() - started) / 1000;
  if (status !== 0) return t.fail(`${DENO} exited with ${status}: ${stderr.slice(-2000)}`);
  const result: DenoResult = JSON.parse(stdout);
  const { dimension } = result;
  const vectors = Array.from({ length: result.vectors.length / dimension }, (_, i) =>
    Float32Array.from(result.vectors.slice(i * dimension, (i + 1) * dimension)));
  t.equal(result.backend, 'wasm', `ran on ${result.backend}, ${result.variant} module, in ${seconds.toFixed(1)} s`);
  t.equal(vectors.length, SENTENCES, `${vectors.length} vectors of ${dimension}`);
  const { maxAbs, minCosine, worst } = agreement(vectors, embeddingGolden(name).vectors);
  t.ok(maxAbs <= MAX_ABS, `${name} under Deno (wasm ${result.variant}): max |Δ| ${maxAbs.toExponential(2)} ≤ ${MAX_ABS} (worst text ${worst}), min cosine ${minCosine.toFixed(8)}`);
});
