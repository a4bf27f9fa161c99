// The Workers example in Cloudflare's own runtime: examples/cloudflare-worker bundled as Wrangler
// does, served by workerd on 127.0.0.1, its kernels imported as compiled Wasm modules (workerd
// forbids compiling from bytes) and the model fetched from a loopback origin, answers POST /embed
// for STS-B test sentences as sentence-transformers does.
import fs from 'node:fs';
import test from 'tape';
import { checkpointDir, stsTestSentences } from './fixtures.js';
import { checkVectors, mib } from './edge/embed-check.js';
import { peakRss } from './edge/runtime-process.js';
import { bundleWorker } from './edge/worker-bundle.js';
import { postEmbed, startWorkerd, type Workerd } from './edge/workerd.js';
import { closeServer, serveFolders } from './static-files.js';

const MAX_ABS = 1e-5;
const SENTENCES = 64;
const TIMEOUT_MS = 120_000;
// Cloudflare Workers' limits: memory per isolate, and the compressed script on the paid plan
const ISOLATE_LIMIT = 128 * 2 ** 20;
const SCRIPT_LIMIT = 10 * 2 ** 20;

test(`workerd: the Workers example embeds ${SENTENCES} STS-B sentences as sentence-transformers does`, async (t) => {
  const name = 'all-MiniLM-L6-v2';
  const bundle = await bundleWorker('esm');
  t.ok(bundle.compressedBytes < SCRIPT_LIMIT, `worker bundle: ${(bundle.compressedBytes / 1024).toFixed(1)} KiB gzip (${(bundle.uncompressedBytes / 1024).toFixed(1)} KiB raw), ${bundle.wasm.length} wasm modules, under the 10 MiB limit`);
  const { server, url } = await serveFolders(new Map([[name, checkpointDir(name)]]));
  let workerd: Workerd | undefined;
  try {
    workerd = await startWorkerd(bundle, { MODEL_URL: `${url}/${name}`, DTYPE: 'fp32' }, TIMEOUT_MS);
    const refused = await fetch(`${workerd.url}/embed`);
    t.equal(refused.status, 405, 'GET /embed is refused with 405');
    const idle = await peakRss(workerd.process.pid);
    const { status, body, seconds } = await postEmbed(workerd.url, stsTestSentences().slice(0, SENTENCES), TIMEOUT_MS);
    if (status !== 200) return t.fail(`POST /embed answered ${status}: ${body.error}\nworkerd: ${(await stopped(workerd)).slice(-2000)}`);
    t.pass(`first POST /embed (model load included) answered in ${seconds.toFixed(1)} s`);
    checkVectors(t, 'in workerd', name, body.vectors.flat(), body.dimension, SENTENCES, MAX_ABS);
    const peak = await peakRss(workerd.process.pid);
    // reported against the isolate limit, not asserted: the figure counts workerd's own memory too
    t.comment(`workerd peak RSS ${mib(peak)}, ${mib(peak - idle)} above the idle worker's ${mib(idle)}; ` +
      `Cloudflare's isolate limit is ${mib(ISOLATE_LIMIT)}: ${peak - idle < ISOLATE_LIMIT ? 'fits' : 'does not fit'}`);
  } catch (error) {
    t.fail(`${(error as Error).message}${workerd ? `\nworkerd: ${(await stopped(workerd)).slice(-2000)}` : ''}`);
  } finally {
    workerd?.process.kill();
    closeServer(server);
    fs.rmSync(bundle.dir, { recursive: true });
  }
});

async function stopped(workerd: Workerd): Promise<string> {
  workerd.process.kill();
  return (await workerd.process.exited).stderr;
}
