// The package under Deno, a runtime with its own module loader and permission model: the Node
// entry loads all-MiniLM-L6-v2 from its folder on the WASM backend, with read access to the
// build and the checkpoint only, and embeds STS-B test sentences as sentence-transformers does.
import test from 'tape';
import type { DenoResult } from './deno-embed.js';
import { checkpointDir, stsTestSentences } from './fixtures.js';
import { checkVectors } from './edge/embed-check.js';
import { launcher, runEmbedScript } from './edge/embed-script.js';

const MAX_ABS = 1e-4;
const SENTENCES = 64;
const TIMEOUT_MS = 180_000;

test(`deno: ${SENTENCES} STS-B sentences on the WASM backend match sentence-transformers`, async (t) => {
  const name = 'all-MiniLM-L6-v2';
  const started = performance.now();
  const { status, stdout, stderr } = await runEmbedScript('deno', { model: checkpointDir(name), sentences: stsTestSentences().slice(0, SENTENCES) }, TIMEOUT_MS);
  const seconds = (performance.now() - started) / 1000;
  if (status !== 0) return t.fail(`${launcher('deno')} exited with ${status}: ${stderr.slice(-2000)}`);
  const result: DenoResult = JSON.parse(stdout);
  t.equal(result.backend, 'wasm', `ran on ${result.backend}, ${result.variant} module, in ${seconds.toFixed(1)} s`);
  checkVectors(t, `under Deno (wasm ${result.variant})`, name, result.vectors, result.dimension, SENTENCES, MAX_ABS);
});
