// Models by repo id, through a Hugging Face hub on loopback (test/hub-server.ts) into the cache
// layout huggingface_hub keeps: first download, a second load with no request, revision pinning,
// offline hits and misses, gated and missing repos, a dropped connection resumed, a corrupted
// file refused, two processes downloading at once. Vectors are checked against the goldens.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import test from 'tape';
import { download, load, type DownloadProgress, type HubError } from '../src/index.js';
import { checkpointDir, projectRoot } from './fixtures.js';
import { agreement, embeddingGolden } from './goldens.js';
import { LoopbackHub, folderFiles } from './hub-server.js';
import { maxAbsDifference, tinyDir, tinyGolden } from './tiny-fixtures.js';

const MAX_ABS = 1e-4;
const REPO = 'sentence-transformers/all-MiniLM-L6-v2';
const GATED = 'acme/gated-MiniLM';
const DENSE = 'acme/tiny-dense-prompts';
const TOKEN = 'hf_loopbackToken';
const MAIN = '1111111111111111111111111111111111111111';
// an older commit (tag v1) whose modules.json has no Normalize: its vectors are not unit length
const V1 = '2222222222222222222222222222222222222222';
const WEIGHTS = 'model.safetensors';

const minilm = checkpointDir('all-MiniLM-L6-v2');
const golden = embeddingGolden('all-MiniLM-L6-v2');
const texts = golden.texts.slice(0, 16);
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'sentvec-hub-'));
process.on('exit', () => fs.rmSync(scratch, { recursive: true, force: true }));

// every file of the MiniLM folder, README.md and all, as the repo holds them
const mainFiles = folderFiles(minilm);
const withoutNormalize = path.join(scratch, 'modules-v1.json');
fs.writeFileSync(withoutNormalize, JSON.stringify(JSON.parse(fs.readFileSync(mainFiles['modules.json'], 'utf8')).slice(0, 2)));

const hub = await LoopbackHub.start([
  { id: REPO, commits: { [MAIN]: mainFiles, [V1]: { ...mainFiles, 'modules.json': withoutNormalize } }, refs: { main: MAIN, v1: V1 } },
  { id: GATED, commits: { [MAIN]: mainFiles }, refs: { main: MAIN }, token: TOKEN },
  { id: DENSE, commits: { [MAIN]: folderFiles(tinyDir('bert-dense-prompts')) }, refs: { main: MAIN } },
]);
process.env.HF_ENDPOINT = hub.endpoint;
for (const name of ['HF_TOKEN', 'HF_HUB_OFFLINE', 'HF_HUB_CACHE', 'HF_HOME']) delete process.env[name];
test.onFinish(() => void hub.close());

let caches = 0;
/** A fresh, empty hub cache. */
const newCache = () => path.join(scratch, `cache-${caches++}`);
const repoFolder = (cache: string, repo = REPO) => path.join(cache, `models--${repo.replace('/', '--')}`);

async function rejects(t: test.Test, promise: Promise<unknown>, pattern: RegExp, label: string): Promise<HubError | undefined> {
  try {
    await promise;
    t.fail(`${label}: no error`);
  } catch (error) {
    const message = (error as Error).message;
    t.match(message, pattern, `${label}: ${message}`);
    t.equal(message.split('\n').length, 1, `${label}: one line`);
    return error as HubError;
  }
}

async function checkVectors(t: test.Test, model: Awaited<ReturnType<typeof load>>, label: string): Promise<void> {
  const vectors = await model.encode(texts);
  const { maxAbs } = agreement(vectors, golden.vectors);
  t.ok(maxAbs <= MAX_ABS, `${label}: ${texts.length} vectors match the goldens, max |Δ| ${maxAbs.toExponential(2)}`);
  await model.close();
}

const cache = newCache();

test('first load by name downloads only the files load() reads, into the huggingface_hub layout', async (t) => {
  hub.requests.length = 0;
  const progress: DownloadProgress[] = [];
  const started = performance.now();
  const model = await load(REPO, { cacheDir: cache, onProgress: (p) => progress.push(p) });
  t.comment(`first load over loopback: ${(performance.now() - started).toFixed(0)} ms`);
  await checkVectors(t, model, 'downloaded');

  // the first request names the branch, the rest the commit it resolved to
  const asked = new Set(hub.requestsTo('hub').map((r) => r.path.split('/resolve/')[1].split('/').slice(1).join('/')));
  t.deepEqual(hub.requestsTo('hub').slice(1).filter((r) => !r.path.includes(`/resolve/${MAIN}/`)), [], 'asked at the commit once it is known');
  t.ok(asked.has('config.json') && asked.has('1_Pooling/config.json') && asked.has(WEIGHTS), 'config, module folder and weights asked for');
  t.notOk(asked.has('README.md') || asked.has('data_config.json'), 'files load() does not read are not fetched');
  const cdn = hub.requestsTo('cdn');
  t.equal(cdn.length, 1, 'the weights come from the CDN the hub redirects to');

  const folder = repoFolder(cache);
  t.equal(fs.readFileSync(path.join(folder, 'refs', 'main'), 'utf8'), MAIN, 'refs/main holds the commit from X-Repo-Commit');
  const weightsEtag = hub.etagOf(REPO, MAIN, WEIGHTS);
  t.equal(fs.readlinkSync(path.join(folder, 'snapshots', MAIN, WEIGHTS)), `../../blobs/${weightsEtag}`, 'snapshot file links to blobs/<sha256>');
  t.equal(fs.readlinkSync(path.join(folder, 'snapshots', MAIN, '1_Pooling', 'config.json')),
    `../../../blobs/${hub.etagOf(REPO, MAIN, '1_Pooling/config.json')}`, 'a file in a module folder links from one level deeper');
  t.ok(fs.existsSync(path.join(folder, '.no_exist', MAIN, 'model.safetensors.index.json')) === false, 'no index was asked for, the single file exists');
  t.deepEqual(fs.readdirSync(path.join(folder, 'blobs')).filter((name) => name.endsWith('.incomplete')), [], 'no .incomplete left');
  const last = progress.filter((p) => p.file === WEIGHTS).at(-1);
  t.ok(last && last.loaded === last.total && last.total === fs.statSync(path.join(folder, 'blobs', weightsEtag)).size, `progress reaches ${last?.total} bytes`);
});

test('a Dense module\'s weights are downloaded with its config', async (t) => {
  hub.requests.length = 0;
  const model = await load(DENSE, { cacheDir: newCache(), backend: 'js' });
  const asked = hub.requestsTo('hub').map((r) => r.path.split('/resolve/')[1].split('/').slice(1).join('/'));
  t.ok(asked.includes('2_Dense/config.json') && asked.includes('2_Dense/model.safetensors'), '2_Dense/config.json and model.safetensors asked for');
  const golden = tinyGolden<{ texts: string[]; calls: { vectors: number[][] }[] }>('bert-dense-prompts');
  const worst = maxAbsDifference(await model.encode(golden.texts), golden.calls[0].vectors);
  t.ok(worst <= 1e-5, `vectors through the Dense module match sentence-transformers: max |Δ| ${worst.toExponential(2)}`);
  await model.close();
});

test('a second load of a cached model sends no request at all', async (t) => {
  hub.requests.length = 0;
  const started = performance.now();
  const model = await load('all-MiniLM-L6-v2', { cacheDir: cache });
  t.comment(`cached load: ${(performance.now() - started).toFixed(0)} ms`);
  t.equal(hub.requests.length, 0, 'zero requests, the bare name meaning sentence-transformers/all-MiniLM-L6-v2');
  await checkVectors(t, model, 'cached');
});

test('a revision pins the files of that commit: by tag, then by commit offline', async (t) => {
  const v1 = await load(`hf:${REPO}`, { cacheDir: cache, revision: 'v1', backend: 'js' });
  const [vector] = await v1.encode([texts[0]]);
  const norm = Math.hypot(...vector);
  t.ok(Math.abs(norm - 1) > 1e-3, `v1 has no Normalize: |v| = ${norm.toFixed(4)}`);
  t.equal(fs.readFileSync(path.join(repoFolder(cache), 'refs', 'v1'), 'utf8'), V1, 'refs/v1 holds its commit');
  const shared = fs.readlinkSync(path.join(repoFolder(cache), 'snapshots', V1, WEIGHTS));
  t.equal(shared, `../../blobs/${hub.etagOf(REPO, MAIN, WEIGHTS)}`, 'both commits share one weights blob');

  hub.requests.length = 0;
  const pinned = await load(REPO, { cacheDir: cache, revision: V1, offline: true, backend: 'js' });
  t.deepEqual(Array.from((await pinned.encode([texts[0]]))[0]), Array.from(vector), 'the commit loads offline with the same vector');
  t.equal(hub.requests.length, 0, 'no request');
});

test('offline: a cached model loads, an uncached one fails naming repo, revision and cache', async (t) => {
  hub.requests.length = 0;
  process.env.HF_HUB_OFFLINE = '1';
  process.env.HF_HUB_CACHE = cache;
  try {
    await checkVectors(t, await load(REPO), 'HF_HUB_OFFLINE=1, HF_HUB_CACHE');
    const empty = newCache();
    await rejects(t, load('acme/never-downloaded', { cacheDir: empty }),
      new RegExp(`acme/never-downloaded at revision 'main' is not in the hub cache ${empty}`), 'uncached');
    await rejects(t, load(REPO, { revision: 'v2' }), /at revision 'v2' is not in the hub cache/, 'uncached revision');
  } finally {
    delete process.env.HF_HUB_OFFLINE;
    delete process.env.HF_HUB_CACHE;
  }
  t.equal(hub.requests.length, 0, 'offline sends no request');
});

test('gated repo: 401 without a token says how to pass one; the token goes to the hub, never the CDN', async (t) => {
  const gatedCache = newCache();
  const error = await rejects(t, load(GATED, { cacheDir: gatedCache }), /acme\/gated-MiniLM is gated or private \(HTTP 401\): a token is needed; pass \{ token \}/, 'no token');
  t.equal(error?.code, 'unauthorized', 'code unauthorized');
  await rejects(t, load(GATED, { cacheDir: gatedCache, token: 'hf_wrong' }), /token given has no access \(HTTP 403\)/, 'wrong token');
  t.notOk(fs.existsSync(path.join(repoFolder(gatedCache, GATED), 'snapshots')), 'nothing cached');

  hub.requests.length = 0;
  process.env.HF_TOKEN = TOKEN;
  try {
    await checkVectors(t, await load(GATED, { cacheDir: gatedCache }), 'HF_TOKEN');
  } finally {
    delete process.env.HF_TOKEN;
  }
  t.ok(hub.requestsTo('hub').every((r) => r.authorization === `Bearer ${TOKEN}`), 'every hub request carries the token');
  t.ok(hub.requestsTo('cdn').length === 1 && hub.requestsTo('cdn').every((r) => r.authorization === undefined), 'the CDN never sees it');

  const home = path.join(scratch, 'hf-home');
  fs.mkdirSync(home);
  fs.writeFileSync(path.join(home, 'token'), `${TOKEN}\n`);
  process.env.HF_HOME = home;
  try {
    await checkVectors(t, await load(GATED, { revision: MAIN }), 'token file under HF_HOME, cache under HF_HOME/hub');
    t.ok(fs.existsSync(path.join(home, 'hub', `models--acme--gated-MiniLM`, 'snapshots', MAIN, WEIGHTS)), 'cached in $HF_HOME/hub');
  } finally {
    delete process.env.HF_HOME;
  }
});

test('missing repos, revisions and names that are neither folders nor repo ids', async (t) => {
  const empty = newCache();
  const missing = await rejects(t, load('acme/no-such-model', { cacheDir: empty }),
    /no repo acme\/no-such-model on http:\/\/127\.0\.0\.1:\d+ \(if it is private.*\); nor is there a folder acme\/no-such-model$/, 'no such repo');
  t.equal(missing?.code, 'not-found', 'code not-found');
  await rejects(t, load('hf:acme/no-such-model', { cacheDir: empty, token: TOKEN }), /^no repo acme\/no-such-model on [^ ]+$/, 'no such repo, with a token (404)');
  await rejects(t, load(REPO, { cacheDir: empty, revision: 'v9' }), /all-MiniLM-L6-v2 has no revision 'v9'/, 'no such revision');
  const closed = http.createServer().listen(0, '127.0.0.1');
  await once(closed, 'listening');
  const closedPort = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  await rejects(t, load('acme/no-such-model', { cacheDir: empty, endpoint: `http://127.0.0.1:${closedPort}` }),
    new RegExp(`^cannot reach http://127\\.0\\.0\\.1:${closedPort} \\(ECONNREFUSED\\); set HF_HUB_OFFLINE=1`), 'network failure');
  await rejects(t, load('/no/such/folder'), /model folder \/no\/such\/folder does not exist .* not a Hugging Face repo id either/, 'neither');
  await rejects(t, load('a--b/c'), /model folder a--b\/c does not exist.*not a Hugging Face repo id/, 'invalid repo id');
  t.notOk(fs.existsSync(path.join(empty, 'models--acme--no-such-model', 'snapshots')), 'nothing cached');
});

test('a connection dropped half-way is resumed with a Range request; a failed download leaves nothing that loads', async (t) => {
  const size = fs.statSync(mainFiles[WEIGHTS]).size;
  const etag = hub.etagOf(REPO, MAIN, WEIGHTS);
  const once = newCache();
  hub.requests.length = 0;
  hub.dropConnections = 1;
  await checkVectors(t, await load(REPO, { cacheDir: once }), 'dropped once, resumed in the same load');
  const [first, second] = hub.requestsTo('cdn').map((r) => r.range);
  const resumedAt = Number(/^bytes=(\d+)-$/.exec(second ?? '')?.[1]);
  t.ok(first === undefined && resumedAt > 0 && resumedAt <= size / 2, `the second request resumes at byte ${resumedAt}, what arrived before the drop`);

  const later = newCache();
  hub.dropConnections = 4;
  const error = await rejects(t, load(REPO, { cacheDir: later }), /model\.safetensors: the connection (dropped|ended) after \d+ of \d+ bytes.*resumes there/, 'dropped every time');
  t.equal(error?.code, 'network', 'code network');
  const blobs = path.join(repoFolder(later), 'blobs');
  const partial = fs.statSync(path.join(blobs, `${etag}.incomplete`)).size;
  t.ok(partial > 0 && partial < size, `blobs/<etag>.incomplete holds ${partial} of ${size} bytes`);
  t.notOk(fs.existsSync(path.join(blobs, etag)), 'no blob');
  t.notOk(fs.existsSync(path.join(repoFolder(later), 'snapshots', MAIN, WEIGHTS)), 'no weights in the snapshot');
  t.notOk(fs.existsSync(path.join(repoFolder(later), 'refs', 'main')), 'no ref: an offline load does not find a half model');

  hub.requests.length = 0;
  await checkVectors(t, await load(REPO, { cacheDir: later }), 'the next load');
  t.deepEqual(hub.requestsTo('cdn').map((r) => r.range), [`bytes=${partial}-`], 'it resumes where the last one stopped');
});

test('corrupted bytes: refused on download, and a damaged cached blob is found and fetched again', async (t) => {
  const fresh = newCache();
  const etag = hub.etagOf(REPO, MAIN, WEIGHTS);
  hub.corrupt = true;
  let error;
  try {
    error = await rejects(t, load(REPO, { cacheDir: fresh }), new RegExp(`model\\.safetensors: the downloaded bytes hash to [0-9a-f]{64}, not to ${etag}`), 'served corrupted');
  } finally {
    hub.corrupt = false;
  }
  t.equal(error?.code, 'checksum', 'code checksum');
  t.deepEqual(fs.readdirSync(path.join(repoFolder(fresh), 'blobs')).filter((name) => name.startsWith(etag)), [], 'neither blob nor .incomplete kept');

  const blob = path.join(repoFolder(cache), 'blobs', etag);
  const fd = fs.openSync(blob, 'r+');
  fs.writeSync(fd, Buffer.from([0x00, 0x01, 0x02]), 0, 3, 1000);
  fs.closeSync(fd);
  hub.requests.length = 0;
  const snapshot = await download(REPO, { cacheDir: cache });
  t.equal(snapshot.dir, path.join(repoFolder(cache), 'snapshots', MAIN), 'download() returns the snapshot folder');
  t.equal(hub.requestsTo('cdn').length, 1, 'the damaged blob is fetched again');
  const sha = crypto.createHash('sha256').update(fs.readFileSync(blob)).digest('hex');
  t.equal(sha, etag, 'the blob hashes to its name again');
});

test('disk full: one line, and nothing half-written kept', async (t) => {
  if (!fs.existsSync('/dev/full')) {
    t.fail('/dev/full is needed to fill a disk');
    return;
  }
  const full = newCache();
  const etag = hub.etagOf(REPO, MAIN, WEIGHTS);
  const blobs = path.join(repoFolder(full), 'blobs');
  fs.mkdirSync(blobs, { recursive: true });
  // writes through this link fail with ENOSPC, as on a full disk
  fs.symlinkSync('/dev/full', path.join(blobs, `${etag}.incomplete`));
  const error = await rejects(t, load(REPO, { cacheDir: full }), /no space left on the disk of .* writing sentence-transformers\/all-MiniLM-L6-v2\/model\.safetensors/, 'ENOSPC');
  t.equal(error?.code, 'disk-full', 'code disk-full');
  t.deepEqual(fs.readdirSync(blobs).filter((name) => name.startsWith(etag)), [], 'no .incomplete and no blob');
});

test('two processes downloading the same model at once: one fetches, the other waits on the lock', async (t) => {
  const shared = newCache();
  hub.requests.length = 0;
  hub.slowMs = 20;
  const child = path.join(projectRoot, 'dist', 'test', 'hub-download-child.js');
  const run = () => new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const process_ = spawn(process.execPath, [child, REPO], { env: { ...process.env, HF_HUB_CACHE: shared } });
    let stdout = '';
    let stderr = '';
    process_.stdout.on('data', (chunk) => (stdout += chunk));
    process_.stderr.on('data', (chunk) => (stderr += chunk));
    process_.on('close', (status) => resolve({ status, stdout, stderr }));
  });
  let results;
  try {
    results = await Promise.all([run(), run()]);
  } finally {
    hub.slowMs = 0;
  }
  const expected = path.join(repoFolder(shared), 'snapshots', MAIN);
  results.forEach((result, i) => {
    t.equal(result.status, 0, `process ${i} exits 0 ${result.stderr}`);
    t.equal(result.stdout.trim(), expected, `process ${i} prints the snapshot folder`);
  });
  t.equal(hub.requestsTo('cdn').length, 1, 'the weights were fetched once');
  const etag = hub.etagOf(REPO, MAIN, WEIGHTS);
  t.equal(crypto.createHash('sha256').update(fs.readFileSync(path.join(repoFolder(shared), 'blobs', etag))).digest('hex'), etag, 'the blob is whole');
  t.deepEqual(fs.readdirSync(path.join(shared, '.locks', 'models--sentence-transformers--all-MiniLM-L6-v2')), [], 'no lock left behind');
  await checkVectors(t, await load(REPO, { cacheDir: shared, offline: true }), 'loads offline afterwards');
});

test('a cache written by Python huggingface_hub loads by name with no request', async (t) => {
  // test/data/hub-cache-python/ was written by snapshot_download (test/hub-interop/make_python_cache.py)
  const pythonCache = path.join(projectRoot, 'test', 'data', 'hub-cache-python', 'hub');
  const snapshot = path.join(pythonCache, 'models--sentvec-tests--tiny-bert', 'snapshots', '5e17ec0de5e17ec0de5e17ec0de5e17ec0de5e17');
  const sentences = ['the man is playing guitar', 'a cat sleeps on the mat'];
  const fromFolder = await (await load(snapshot, { backend: 'js' })).encode(sentences);
  hub.requests.length = 0;
  for (const offline of [false, true]) {
    const model = await load('sentvec-tests/tiny-bert', { cacheDir: pythonCache, offline });
    t.equal(model.dimension, 32, `offline ${offline}: the tiny model, 32 wide`);
    const vectors = await model.encode(sentences);
    t.ok(vectors.every((vector, i) => vector.every((x, c) => Math.abs(x - fromFolder[i][c]) < 1e-6)), `offline ${offline}: the vectors of its snapshot folder`);
    await model.close();
  }
  t.equal(hub.requests.length, 0, 'no request, online or not');
});

test('a lock left by a dead process or by huggingface_hub (an old empty file) does not stall a download', async (t) => {
  const etag = hub.etagOf(REPO, MAIN, WEIGHTS);
  for (const [label, content, ageSeconds] of [['dead process', '999999999\n' + os.hostname() + '\n', 0], ["huggingface_hub's empty lock", '', 120]] as const) {
    const stale = newCache();
    const lock = path.join(stale, '.locks', 'models--sentence-transformers--all-MiniLM-L6-v2', `${etag}.lock`);
    fs.mkdirSync(path.dirname(lock), { recursive: true });
    fs.writeFileSync(lock, content);
    const then = new Date(Date.now() - ageSeconds * 1000);
    fs.utimesSync(lock, then, then);
    const started = performance.now();
    const model = await load(REPO, { cacheDir: stale, backend: 'js' });
    t.ok(performance.now() - started < 20_000, `${label}: taken over, loaded in ${(performance.now() - started).toFixed(0)} ms`);
    t.notOk(fs.existsSync(lock), `${label}: the lock is gone afterwards`);
    await model.close();
  }
});

test("an http(s) base URL, here the hub's resolve URLs, loads on the native backend (whose worker reads the weights)", async (t) => {
  hub.requests.length = 0;
  const model = await load(`${hub.endpoint}/${REPO}/resolve/${MAIN}`);
  t.equal(model.backend, 'native', 'native backend');
  await checkVectors(t, model, 'by URL');
  t.equal(hub.requestsTo('cdn').length, 1, 'the weights were fetched once, through the redirect');
});
