// The browser build in a real browser: headless Chromium loads sentvec/browser from the built
// dist/, fetches checkpoints by URL from a local server and by repo id from a loopback hub (kept
// in the Cache API), embeds STS-B test sentences on the WASM backend and posts the vectors back,
// which must match sentence-transformers' goldens.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import test from 'tape';
import type { BrowserJob, BrowserResult } from './browser/page.js';
import { Chromium, CHROMIUM } from './browser/chromium.js';
import { checkpointDir, projectRoot, stsTestSentences, type CheckpointName } from './fixtures.js';
import { agreement, embeddingGolden } from './goldens.js';
import { LoopbackHub, folderFiles } from './hub-server.js';
import { absent } from './required.js';
import { closeServer, inside, listenOnLoopback, serveFile } from './static-files.js';

const MAX_ABS = 1e-4;
const SENTENCES = 64;
const MODELS: CheckpointName[] = ['all-MiniLM-L6-v2', 'all-mpnet-base-v2'];
const TIMEOUT_MS = 600_000;
const HUB_REPO = 'sentence-transformers/all-MiniLM-L6-v2';
const HUB_COMMIT = '4444444444444444444444444444444444444444';

async function body(request: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

type PageEvent = { kind: 'result'; result: BrowserResult } | { kind: 'error'; message: string } | { kind: 'done' };

/** The page, dist/ (the browser build and its wasm), /models/<name>/ and the page's reports. */
function startServer(job: BrowserJob, modelDirs: Map<string, string>, onEvent: (event: PageEvent) => void): Promise<http.Server> {
  const dist = path.join(projectRoot, 'dist');
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const route = url.pathname;
    if (request.method === 'POST') {
      body(request).then((payload) => {
        response.writeHead(204).end();
        if (route === '/result') onEvent({ kind: 'result', result: payload as BrowserResult });
        else if (route === '/error') onEvent({ kind: 'error', message: (payload as { message: string }).message });
        else if (route === '/done') onEvent({ kind: 'done' });
      }, (error: Error) => onEvent({ kind: 'error', message: `unreadable report to ${route}: ${error.message}` }));
      return;
    }
    if (route === '/') return serveFile(response, path.join(projectRoot, 'test', 'browser', 'index.html'));
    if (route === '/job.json') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(job));
      return;
    }
    if (route.startsWith('/dist/')) return serveFile(response, inside(dist, route.slice('/dist/'.length)));
    const model = /^\/models\/([^/]+)\/(.+)$/.exec(route);
    const modelDir = model && modelDirs.get(model[1]);
    if (model && modelDir) return serveFile(response, inside(modelDir, model[2]));
    response.writeHead(404).end();
  });
  return listenOnLoopback(server).then(() => server);
}

test(`browser: Chromium embeds ${SENTENCES} STS-B sentences on the WASM backend as sentence-transformers does`, async (t) => {
  if (!fs.existsSync(CHROMIUM)) {
    absent(t, 'Chromium', `${CHROMIUM} is missing: apt-get install chromium to run the browser tests`, 'SENTVEC_REQUIRE_BROWSER');
    return;
  }
  const sentences = stsTestSentences().slice(0, SENTENCES);
  // MiniLM by repo id as well, twice: the second load must come from the Cache API alone
  const hub = await LoopbackHub.start([{ id: HUB_REPO, commits: { [HUB_COMMIT]: folderFiles(checkpointDir('all-MiniLM-L6-v2')) }, refs: { main: HUB_COMMIT } }]);
  const byName = ['hub', 'hub, cached'].map((how) => ({ name: `all-MiniLM-L6-v2 (${how})`, url: HUB_REPO, endpoint: hub.endpoint }));
  const job: BrowserJob = {
    models: [...MODELS.map((name) => ({ name, url: `/models/${name}` })), ...byName],
    sentences,
    backend: 'wasm',
  };
  const results: BrowserResult[] = [];
  let settle: (error?: Error) => void = () => {};
  const finished = new Promise<void>((resolve, reject) => (settle = (error) => (error ? reject(error) : resolve())));
  // a report may settle it while Chromium is still starting, before anything awaits it
  finished.catch(() => {});
  const modelDirs = new Map(MODELS.map((name) => [name, checkpointDir(name)]));
  const server = await startServer(job, modelDirs, (event) => {
    if (event.kind === 'result') results.push(event.result);
    else settle(event.kind === 'error' ? new Error(`the page failed: ${event.message}`) : undefined);
  });
  let chromium: Chromium | undefined;
  const timer = setTimeout(() => settle(new Error(`no answer from the page within ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS);
  try {
    chromium = Chromium.launch();
    chromium.onEvent((method, params) => {
      if (method === 'Runtime.exceptionThrown') {
        const details = params.exceptionDetails as { text: string; exception?: { description?: string } };
        settle(new Error(`uncaught in the page: ${details.exception?.description ?? details.text}`));
      }
    });
    void chromium.exited.then(() => settle(new Error('Chromium exited before the page finished')));
    const { port } = server.address() as AddressInfo;
    await chromium.open(`http://127.0.0.1:${port}/`);
    await finished;
  } catch (error) {
    t.fail(`${(error as Error).message}${chromium ? `\nChromium stderr: ${chromium.stderr}` : ''}`);
  } finally {
    clearTimeout(timer);
    await chromium?.close();
    closeServer(server);
    await hub.close();
  }
  const fetched = hub.requests.filter((r) => r.method === 'GET').map((r) => r.path);
  t.equal(new Set(fetched).size, fetched.length, `by name: each of ${fetched.length} files fetched once, the second load served by the Cache API`);
  t.ok(hub.requests.every((r) => r.authorization === undefined), 'by name: no token sent');

  for (const { name } of job.models) {
    const result = results.find((candidate) => candidate.name === name);
    if (!result) {
      t.fail(`${name}: no vectors came back from the page`);
      continue;
    }
    const golden = embeddingGolden(name.startsWith('all-MiniLM-L6-v2') ? 'all-MiniLM-L6-v2' : name as CheckpointName);
    const { dimension } = result;
    const vectors = Array.from({ length: result.vectors.length / dimension }, (_, i) =>
      Float32Array.from(result.vectors.slice(i * dimension, (i + 1) * dimension)));
    t.equal(result.backend, 'wasm', `${name}: ran on ${result.backend}, ${result.variant} module, in ${result.seconds.toFixed(1)} s`);
    t.equal(vectors.length, SENTENCES, `${name}: ${vectors.length} vectors of ${dimension}`);
    const { maxAbs, minCosine, worst } = agreement(vectors, golden.vectors);
    t.ok(maxAbs <= MAX_ABS, `${name} in Chromium (wasm ${result.variant}): max |Δ| ${maxAbs.toExponential(2)} ≤ ${MAX_ABS} (worst text ${worst}), min cosine ${minCosine.toFixed(8)}`);
  }
});
