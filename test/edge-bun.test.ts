// The package under Bun, a runtime with its own engine (JavaScriptCore) and its own N-API: the
// Node entry loads all-MiniLM-L6-v2 from its folder on the native addon, then on the WASM
// backend, and embeds STS-B test sentences as sentence-transformers does.
import test from 'tape';
import type { DenoJob, DenoResult } from './deno-embed.js';
import { checkpointDir, stsTestSentences } from './fixtures.js';
import { checkVectors, mib } from './edge/embed-check.js';
import { launcher, runEmbedScript } from './edge/embed-script.js';

const MAX_ABS = 1e-5;
const SENTENCES = 64;
const TIMEOUT_MS = 120_000;
for (const backend of ['native', 'wasm']) {
  test(`bun: ${SENTENCES} STS-B sentences on the ${backend} backend match sentence-transformers`, async (t) => {
    const name = 'all-MiniLM-L6-v2';
    const job: DenoJob = { model: checkpointDir(name), sentences: stsTestSentences().slice(0, SENTENCES), backend };
    const started = performance.now();
    const { status, stdout, stderr } = await runEmbedScript('bun', job, TIMEOUT_MS);
    const seconds = (performance.now() - started) / 1000;
    if (status !== 0) return t.fail(`${launcher('bun')} exited with ${status}: ${stderr.slice(-2000)}`);
    const result: DenoResult = JSON.parse(stdout);
    const detail = backend === 'wasm' ? `, ${result.variant} module` : '';
    t.equal(result.backend, backend, `ran on ${result.backend}${detail} in ${seconds.toFixed(1)} s, peak RSS ${mib(result.peakRss ?? 0)}`);
    checkVectors(t, `under Bun (${backend})`, name, result.vectors, result.dimension, SENTENCES, MAX_ABS);
  });
}
