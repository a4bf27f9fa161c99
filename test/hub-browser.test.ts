// The browser build's hub source, run under Node's fetch (the same WHATWG fetch a page has):
// names resolve to the hub's resolve URLs, files are kept in the { match, put } cache it is
// given, a second load sends no request, and a token is sent only when passed explicitly.
import test from 'tape';
import { load, type ModelCache } from '../src/browser.js';
import { checkpointDir } from './fixtures.js';
import { agreement, embeddingGolden } from './goldens.js';
import { LoopbackHub, folderFiles } from './hub-server.js';

const MAX_ABS = 1e-4;
const REPO = 'sentence-transformers/all-MiniLM-L6-v2';
const GATED = 'acme/gated-MiniLM';
const TOKEN = 'hf_browserToken';
const COMMIT = '3333333333333333333333333333333333333333';

const files = folderFiles(checkpointDir('all-MiniLM-L6-v2'));
const golden = embeddingGolden('all-MiniLM-L6-v2');
const texts = golden.texts.slice(0, 8);
const hub = await LoopbackHub.start([
  { id: REPO, commits: { [COMMIT]: files }, refs: { main: COMMIT } },
  { id: GATED, commits: { [COMMIT]: files }, refs: { main: COMMIT }, token: TOKEN },
]);
test.onFinish(() => void hub.close());

/** The Cache API's two calls over a Map, as a page's caches.open() result would answer them. */
function memoryCache(): ModelCache & { urls: string[] } {
  const stored = new Map<string, { status: number; body: ArrayBuffer }>();
  return {
    urls: [],
    async match(url) {
      const entry = stored.get(url);
      return entry && new Response(entry.status === 404 ? null : entry.body.slice(0), { status: entry.status });
    },
    async put(url, response) {
      this.urls.push(url);
      stored.set(url, { status: response.status, body: await response.arrayBuffer() });
    },
  };
}

test('browser build: a repo id loads through the resolve URLs into the cache given, then from it alone', async (t) => {
  process.env.HF_TOKEN = TOKEN;  // a page has no environment: the browser build must not read it
  const cache = memoryCache();
  hub.requests.length = 0;
  try {
    const model = await load('all-MiniLM-L6-v2', { endpoint: hub.endpoint, cache, backend: 'wasm' });
    const { maxAbs } = agreement(await model.encode(texts), golden.vectors);
    t.ok(maxAbs <= MAX_ABS, `${texts.length} vectors match the goldens, max |Δ| ${maxAbs.toExponential(2)}`);
  } finally {
    delete process.env.HF_TOKEN;
  }
  t.ok(cache.urls.includes(`${hub.endpoint}/${REPO}/resolve/main/model.safetensors`), 'the weights are cached under their resolve URL');
  t.ok(hub.requests.every((r) => r.authorization === undefined), `no token sent (${hub.requests.length} requests)`);
  t.notOk(hub.requests.some((r) => r.path.endsWith('README.md')), 'files load() does not read are not fetched');

  hub.requests.length = 0;
  await load(REPO, { endpoint: hub.endpoint, cache, backend: 'wasm' });
  t.equal(hub.requests.length, 0, 'a second load sends no request');
  await load(REPO, { endpoint: hub.endpoint, cache, backend: 'wasm', offline: true });
  try {
    await load(REPO, { endpoint: hub.endpoint, cache: memoryCache(), backend: 'wasm', offline: true });
    t.fail('offline with an empty cache: no error');
  } catch (error) {
    t.match((error as Error).message, /sentence-transformers\/all-MiniLM-L6-v2 at revision 'main': config\.json is not in the browser cache/, 'offline miss names repo, revision and file');
  }
  t.equal(hub.requests.length, 0, 'offline sends no request');
});

test('browser build: a gated repo needs { token }, which goes to the hub and not to the CDN', async (t) => {
  try {
    await load(GATED, { endpoint: hub.endpoint, cache: memoryCache(), backend: 'wasm' });
    t.fail('no error without a token');
  } catch (error) {
    t.match((error as Error).message, /acme\/gated-MiniLM is gated or private \(HTTP 401\): a token is needed; pass \{ token \}/, 'without a token');
  }
  hub.requests.length = 0;
  const model = await load(GATED, { endpoint: hub.endpoint, cache: memoryCache(), backend: 'wasm', token: TOKEN });
  t.equal(model.dimension, 384, 'loads with the token');
  t.ok(hub.requestsTo('hub').every((r) => r.authorization === `Bearer ${TOKEN}`), 'the hub gets the token');
  t.ok(hub.requestsTo('cdn').length === 1 && hub.requestsTo('cdn').every((r) => r.authorization === undefined), 'the CDN does not');
});
