// sentvec serve answers the official clients of OpenAI and Hugging Face, and Ollama's request
// shape, with the vectors encode() returns to the bit; bad requests get TEI's status and error
// JSON and the server keeps serving.
import OpenAI from 'openai';
import { InferenceClient } from '@huggingface/inference';
import net from 'node:net';
import test from 'tape';
import { load } from '../src/index.js';
import { normalizeL2 } from '../src/pooling.js';
import { serve } from '../src/serve/server.js';
import { checkpointDir, stsTestSentences } from './fixtures.js';

const MODEL = 'all-MiniLM-L6-v2';
const model = await load(checkpointDir(MODEL));
const texts = stsTestSentences().slice(0, 96);
const expected = await model.encode(texts);
const server = await serve({ models: [{ id: MODEL, model }], port: 0, log: null, maxConcurrentRequests: 64 });
await server.ready;
test.onFinish(async () => {
  await server.close();
  await model.close();
});

/** Whether `actual` holds exactly the float32 values of `expected`. */
function sameBits(actual: ArrayLike<number>, expected: Float32Array): boolean {
  const a = Float32Array.from(actual);
  return a.length === expected.length && Buffer.compare(Buffer.from(a.buffer), Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength)) === 0;
}

const allSame = (vectors: ArrayLike<number>[], reference: Float32Array[]) => vectors.length === reference.length && vectors.every((v, i) => sameBits(v, reference[i]));

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : body instanceof Uint8Array ? Buffer.from(body) : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

test('the openai client gets encode()’s vectors to the bit, base64 by default and as floats', async (t) => {
  const openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused' });
  const base64 = await openai.embeddings.create({ model: MODEL, input: texts });
  t.ok(allSame(base64.data.map((d) => d.embedding), expected), 'no encoding_format (the client asks for base64)');
  t.deepEqual(base64.data.map((d) => d.index), texts.map((_, i) => i), 'indices in order');
  const tokens = texts.reduce((sum, text) => sum + model.tokenize(text).length, 0);
  t.deepEqual(base64.usage, { prompt_tokens: tokens, total_tokens: tokens }, 'usage counts the tokens');
  t.equal(base64.model, MODEL);
  const float = await openai.embeddings.create({ model: MODEL, input: texts.slice(0, 5), encoding_format: 'float' });
  t.ok(allSame(float.data.map((d) => d.embedding), expected.slice(0, 5)), "encoding_format 'float'");
  const single = await openai.embeddings.create({ model: MODEL, input: texts[7] });
  t.ok(sameBits(single.data[0].embedding, expected[7]), 'one string');
  const ids = await openai.embeddings.create({ model: MODEL, input: texts.slice(0, 3).map((text) => Array.from(model.tokenize(text))) });
  t.ok(allSame(ids.data.map((d) => d.embedding), expected.slice(0, 3)), 'token ids');
  const short = await openai.embeddings.create({ model: MODEL, input: texts.slice(0, 2), dimensions: 64 });
  const cut = expected.slice(0, 2).map((vector) => {
    const head = vector.slice(0, 64);
    normalizeL2(head);
    return head;
  });
  t.ok(allSame(short.data.map((d) => d.embedding), cut), 'dimensions: cut to 64 and renormalized');
  const models = await openai.models.list();
  t.deepEqual(models.data.map((m) => m.id), [MODEL], '/v1/models');
  await openai.embeddings.create({ model: 'text-embedding-3-small', input: 'x' }).then(
    () => t.fail('unknown model accepted'),
    (error) => t.equal(error.status, 404, `unknown model: ${error.message}`),
  );
});

test('concurrent requests are batched together and each gets its own vectors', async (t) => {
  const openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused' });
  const slices = Array.from({ length: 24 }, (_, i) => [(i * 7) % 80, ((i * 7) % 80) + 1 + (i % 16)]);
  const replies = await Promise.all(slices.map(([from, to]) => openai.embeddings.create({ model: MODEL, input: texts.slice(from, to) })));
  t.ok(replies.every((reply, i) => allSame(reply.data.map((d) => d.embedding), expected.slice(...slices[i]))), '24 concurrent requests, every vector exact');
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  const batches = Number(/^sentvec_batch_size_count (\d+)/m.exec(metrics)?.[1]);
  const sequences = Number(/^sentvec_batch_size_sum (\d+)/m.exec(metrics)?.[1]);
  t.ok(sequences / batches > 1, `batches held ${(sequences / batches).toFixed(1)} sequences on average`);
  t.match(metrics, /sentvec_requests_total\{route="\/v1\/embeddings",status="200"\} \d+/, 'requests counted by route and status');
});

test('@huggingface/inference featureExtraction against /embed', async (t) => {
  const client = new InferenceClient();
  const vectors = (await client.featureExtraction({ endpointUrl: `${server.url}/embed`, inputs: texts.slice(0, 4) })) as number[][];
  t.ok(allSame(vectors, expected.slice(0, 4)), 'vectors exact');
  const one = await client.featureExtraction({ endpointUrl: `${server.url}/embed`, inputs: texts[5] });
  t.ok(allSame(one as number[][], [expected[5]]), 'one string');
});

test("Ollama's /api/embed shape", async (t) => {
  const reply = await post('/api/embed', { model: MODEL, input: texts.slice(0, 3) });
  t.equal(reply.status, 200);
  t.equal(reply.body.model, MODEL);
  t.ok(allSame(reply.body.embeddings, expected.slice(0, 3)), 'vectors exact');
  t.equal(reply.body.prompt_eval_count, texts.slice(0, 3).reduce((sum, text) => sum + model.tokenize(text).length, 0), 'prompt_eval_count');
  t.ok(Number.isInteger(reply.body.total_duration), 'total_duration in ns');
});

test('TEI /similarity, /tokenize, /health, /info', async (t) => {
  const similarity = await post('/similarity', { inputs: { source_sentence: texts[0], sentences: [texts[1], texts[2]] } });
  t.deepEqual(similarity.body, [model.similarity(expected[0], expected[1]), model.similarity(expected[0], expected[2])], 'scores');
  const tokenized = await post('/tokenize', { inputs: ['Hello world'] });
  t.deepEqual(tokenized.body[0].map((token: { id: number }) => token.id), [101, 7592, 2088, 102], 'ids');
  t.deepEqual(tokenized.body[0].map((token: { text: string }) => token.text), ['[CLS]', 'hello', 'world', '[SEP]'], 'texts');
  const bare = await post('/tokenize', { inputs: 'Hello world', add_special_tokens: false });
  t.deepEqual(bare.body[0].map((token: { id: number }) => token.id), [7592, 2088], 'add_special_tokens: false');
  t.equal((await fetch(`${server.url}/health`)).status, 200, '/health 200');
  const info = await (await fetch(`${server.url}/info`)).json();
  t.equal(info.model_id, MODEL);
  t.equal(info.max_input_length, model.maxSeqLength);
});

test('bad requests get the right status and error JSON, and the server keeps serving', async (t) => {
  const long = stsTestSentences().slice(0, 40).join(' ');
  const cases: [string, string, unknown, number, string][] = [
    ['invalid JSON', '/embed', '{"inputs": [', 400, 'validation'],
    ['wrong type', '/embed', { inputs: 5 }, 422, 'validation'],
    ['wrong element type', '/embed', { inputs: ['a', { b: 1 }] }, 422, 'validation'],
    ['not an object', '/embed', '[1, 2]', 422, 'validation'],
    ['10 MB body', '/embed', JSON.stringify({ inputs: 'x'.repeat(10_000_000) }), 413, 'validation'],
    ['100k inputs', '/embed', { inputs: Array.from({ length: 100_000 }, () => 'a') }, 422, 'validation'],
    ['empty input', '/embed', { inputs: [] }, 400, 'empty'],
    ['non-UTF-8', '/embed', new Uint8Array([0x7b, 0x22, 0x69, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 400, 'validation'],
    ['token id out of range', '/embed', { inputs: [[101, 999999, 102]] }, 422, 'validation'],
    ['negative token id', '/embed', { inputs: [[101, -1, 102]] }, 422, 'validation'],
    ['too long, truncate false', '/embed', { inputs: long, truncate: false }, 422, 'validation'],
    ['bad truncation_direction', '/embed', { inputs: 'a', truncation_direction: 'up' }, 422, 'validation'],
    ['dimensions over the model', '/embed', { inputs: 'a', dimensions: 4096 }, 422, 'validation'],
    ['prompt_name', '/embed', { inputs: 'a', prompt_name: 'query' }, 422, 'validation'],
  ];
  for (const [name, path, body, status, type] of cases) {
    const reply = await post(path, body);
    t.equal(reply.status, status, `${name}: ${status}`);
    t.equal(reply.body.error_type, type, `${name}: ${reply.body.error}`);
  }
  const openaiError = await post('/v1/embeddings', { input: 42 });
  t.equal(openaiError.status, 422, 'OpenAI route: 422');
  t.equal(typeof openaiError.body.error.message, 'string', "OpenAI route: OpenAI's {error: {message}} shape");
  const ollamaError = await post('/api/embed', { input: [] });
  t.equal(typeof ollamaError.body.error, 'string', "Ollama route: Ollama's {error} shape");
  t.equal((await fetch(`${server.url}/nowhere`)).status, 404, 'unknown route 404');
  t.equal((await fetch(`${server.url}/embed`)).status, 405, 'GET /embed 405');

  const truncated = await post('/embed', { inputs: long, truncate: true });
  t.ok(sameBits(truncated.body[0], (await model.encode([long]))[0]), 'truncate: true cuts as encode() does');
  const left = await post('/embed', { inputs: long, truncate: true, truncation_direction: 'Left' });
  const ids = model.tokenize(long, 10_000);
  const kept = Int32Array.from([ids[0], ...ids.subarray(ids.length - model.maxSeqLength + 1)]);
  t.ok(sameBits(left.body[0], (await model.encodeTokenized([kept]))[0]), "truncation_direction 'Left' keeps the last tokens");
  const after = await post('/embed', { inputs: texts.slice(0, 2) });
  t.equal(after.status, 200, 'still serving');
  t.ok(allSame(after.body, expected.slice(0, 2)), 'still exact');
});

test('encodeTokenized checks what it is given before any kernel runs', (t) => {
  t.throws(() => model.encodeTokenized([new Int32Array(0)]), /sequences\[0\] must be an Int32Array of 1 to 256 ids/);
  t.throws(() => model.encodeTokenized([Int32Array.of(101, model.vocabSize, 102)]), /sequences\[0\] has an id outside \[0, 30522\)/);
  t.end();
});

test('a client that goes away halfway through its body frees its place', async (t) => {
  const { port } = new URL(server.url);
  const socket = net.connect(Number(port), '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write('POST /embed HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"inputs": ["half');
  const inFlight = async () => Number(/^sentvec_requests_in_flight (\d+)$/m.exec(await (await fetch(`${server.url}/metrics`)).text())?.[1]);
  while ((await inFlight()) === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  t.pass('the request holds a place while its body arrives');
  socket.destroy();
  while ((await inFlight()) !== 0) await new Promise((resolve) => setTimeout(resolve, 5));
  t.pass('and gives it back when the client goes away');
});

test('beyond maxConcurrentRequests requests get 429 at once; the server answers normally after', async (t) => {
  const small = await serve({ models: [{ id: MODEL, model }], port: 0, log: null, maxConcurrentRequests: 2 });
  await small.ready;
  const replies = await Promise.all(Array.from({ length: 24 }, () =>
    fetch(`${small.url}/embed`, { method: 'POST', body: JSON.stringify({ inputs: texts.slice(0, 32) }) }).then(async (r) => ({ status: r.status, body: await r.json() }))));
  const refused = replies.filter((reply) => reply.status === 429);
  t.ok(refused.length > 0, `${refused.length} of 24 refused`);
  t.ok(refused.every((reply) => reply.body.error_type === 'overloaded'), "error_type 'overloaded'");
  t.ok(replies.every((reply) => reply.status === 200 || reply.status === 429), 'the rest answered');
  const after = await fetch(`${small.url}/embed`, { method: 'POST', body: JSON.stringify({ inputs: texts[0] }) });
  t.equal(after.status, 200, 'answers normally after');
  await small.close();
});

test('API key, CORS, and 503 until the models load', async (t) => {
  const guarded = await serve({ models: [checkpointDir(MODEL)], port: 0, log: null, apiKey: 'sesame', cors: 'https://example.org' });
  const early = await fetch(`${guarded.url}/health`);
  t.equal(early.status, 503, '/health 503 while loading');
  t.equal((await early.json()).error_type, 'unhealthy');
  await guarded.ready;
  const body = JSON.stringify({ inputs: 'a' });
  t.equal((await fetch(`${guarded.url}/embed`, { method: 'POST', body })).status, 401, 'no key: 401');
  t.equal((await fetch(`${guarded.url}/health`)).status, 200, 'no key needed for /health, as in TEI');
  t.equal((await fetch(`${guarded.url}/embed`, { method: 'POST', body, headers: { authorization: 'Bearer sesam' } })).status, 401, 'wrong key: 401');
  const ok = await fetch(`${guarded.url}/embed`, { method: 'POST', body, headers: { authorization: 'Bearer sesame' } });
  t.equal(ok.status, 200, 'right key: 200');
  t.equal(ok.headers.get('access-control-allow-origin'), 'https://example.org', 'CORS origin');
  const preflight = await fetch(`${guarded.url}/embed`, { method: 'OPTIONS' });
  t.equal(preflight.status, 204, 'preflight 204');
  const openai = new OpenAI({ baseURL: `${guarded.url}/v1`, apiKey: 'sesame' });
  const reply = await openai.embeddings.create({ model: MODEL, input: texts[0] });
  t.ok(sameBits(reply.data[0].embedding, expected[0]), 'openai client with the key, a model loaded from its folder');
  await guarded.close();
  t.equal((await fetch(`${server.url}/embed`, { method: 'POST', body })).headers.get('access-control-allow-origin'), null, 'no CORS headers by default');
});

test('a client that disconnects has its queued work dropped', async (t) => {
  const ran: Int32Array[] = [];
  let open: () => void = () => {};
  const gate = new Promise<void>((resolve) => (open = resolve));
  // the real model, except that its batches wait at the gate and are recorded
  const gated: typeof model = Object.create(model);
  gated.encodeTokenized = async (sequences) => {
    ran.push(...sequences);
    await gate;
    return model.encodeTokenized(sequences);
  };
  const gatedServer = await serve({ models: [{ id: MODEL, model: gated }], port: 0, log: null });
  await gatedServer.ready;
  const embed = (text: string, signal?: AbortSignal) => fetch(`${gatedServer.url}/embed`, { method: 'POST', body: JSON.stringify({ inputs: text }), signal });
  const busy = [embed(texts[0]), embed(texts[1])];
  while (ran.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
  const abort = new AbortController();
  const dropped = embed('a text whose client goes away', abort.signal).catch((error: Error) => error.name);
  const queued = async () => /^sentvec_queue_depth 1$/m.test(await (await fetch(`${gatedServer.url}/metrics`)).text());
  while (!(await queued())) await new Promise((resolve) => setTimeout(resolve, 5));
  abort.abort();
  t.equal(await dropped, 'AbortError', 'the client gave up');
  await new Promise((resolve) => setTimeout(resolve, 50));
  open();
  t.deepEqual((await Promise.all(busy)).map((response) => response.status), [200, 200], 'the other requests are answered');
  const droppedIds = model.tokenize('a text whose client goes away');
  t.ok(ran.every((ids) => Buffer.compare(Buffer.from(ids.buffer), Buffer.from(droppedIds.buffer)) !== 0), 'its text never ran');
  t.equal(ran.length, 2, 'only the two other texts ran');
  await gatedServer.close();
});

test('several models: a request names one by id, or gets the first', async (t) => {
  const other = await load(checkpointDir('minilm-l12-random'));
  const two = await serve({ models: [{ id: MODEL, model }, { id: 'minilm-l12-random', model: other }], port: 0, log: null });
  await two.ready;
  const otherExpected = await other.encode(texts.slice(0, 3));
  const openai = new OpenAI({ baseURL: `${two.url}/v1`, apiKey: 'unused' });
  const named = await openai.embeddings.create({ model: 'minilm-l12-random', input: texts.slice(0, 3) });
  t.ok(allSame(named.data.map((d) => d.embedding), otherExpected), 'OpenAI route, second model by id');
  const tei = await fetch(`${two.url}/embed`, { method: 'POST', body: JSON.stringify({ inputs: texts.slice(0, 3), model: 'minilm-l12-random' }) });
  t.ok(allSame((await tei.json()) as number[][], otherExpected), '/embed, second model by id');
  const first = await fetch(`${two.url}/api/embed`, { method: 'POST', body: JSON.stringify({ input: texts.slice(0, 3) }) });
  t.ok(allSame(((await first.json()) as { embeddings: number[][] }).embeddings, expected.slice(0, 3)), 'no model named: the first');
  t.deepEqual((await openai.models.list()).data.map((m) => m.id), [MODEL, 'minilm-l12-random'], '/v1/models lists both');
  await two.close();
  await other.close();
});
