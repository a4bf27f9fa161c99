// What every framework adapter relies on: forward passes cut by the token budget in input order,
// the budget's limits, abort between passes, prompts, and errors that say what to do.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import test from 'tape';
import { AdapterModel } from '../src/adapters/model.js';
import { importPeer } from '../src/adapters/peer.js';
import { load } from '../src/index.js';
import { corpus, failure, sameBits } from './adapter-fixtures.js';
import { checkpointDir, projectRoot } from './fixtures.js';
import { tinyDir } from './tiny-fixtures.js';

const dir = checkpointDir('all-MiniLM-L6-v2');

test('adapter model: forward passes stay within the token budget, in input order', async (t) => {
  const model = await load(dir);
  const texts = [...corpus, corpus.join(' '), ...corpus];
  const tokens = texts.map((text) => model.tokenize(text).length);
  for (const batchTokens of [model.maxSeqLength, 300, undefined]) {
    const adapter = new AdapterModel('test', { model, batchTokens });
    const budget = adapter.batchTokens(model);
    const { batches, tokens: total } = await adapter.batches(texts);
    t.deepEqual(batches.flat(), texts, `budget ${budget}: every text once, in order`);
    t.equal(total, tokens.reduce((a, b) => a + b), `budget ${budget}: ${total} tokens counted`);
    let start = 0;
    const sizes = batches.map((batch) => {
      const size = tokens.slice(start, start + batch.length).reduce((a, b) => a + b);
      start += batch.length;
      return size;
    });
    t.ok(sizes.every((size) => size <= budget), `budget ${budget}: passes of ${sizes.join(', ')} tokens`);
    t.ok(sizes.every((size, i) => i === sizes.length - 1 || size + tokens[batches.slice(0, i + 1).flat().length] > budget),
      `budget ${budget}: a pass ends only where the next text would overflow`);
  }
  t.equal(await new AdapterModel('test', { model }).textsPerBatch(), 32, 'default budget: 32 texts at max_seq_length');
  t.equal(await new AdapterModel('test', { model, batchTokens: 1000 }).textsPerBatch(), 3, '1000 tokens: 3 texts of 256');
  await model.close();
});

test('adapter model: embed() equals encode() and stops between passes when aborted', async (t) => {
  const model = await load(dir);
  const adapter = new AdapterModel('test', { model, batchTokens: model.maxSeqLength });
  const texts = [...corpus, ...corpus, ...corpus];
  const { vectors, tokens } = await adapter.embed(texts);
  sameBits(t, vectors, await model.encode(texts), 'embed()');
  t.equal(tokens, texts.reduce((sum, text) => sum + model.tokenize(text).length, 0), `${tokens} tokens reported`);
  t.deepEqual(await adapter.embed([]), { vectors: [], tokens: 0 }, 'no texts: no vectors, no forward pass');

  const aborted = new AbortController();
  aborted.abort(new Error('caller gave up'));
  t.equal(await failure(adapter.embed(texts, { signal: aborted.signal })), 'caller gave up', 'an aborted signal rejects with its reason');

  const passes: number[] = [];
  const encode = model.encode.bind(model);
  const midway = new AbortController();
  model.encode = async (batch, options) => {
    passes.push(batch.length);
    midway.abort(new Error('stop after this pass'));
    return encode(batch, options);
  };
  t.equal(await failure(adapter.embed(texts, { signal: midway.signal })), 'stop after this pass', 'aborted during a pass: rejects');
  t.equal(passes.length, 1, 'no forward pass starts after the abort');
  await model.close();
});

test('adapter model: prompts go before the texts of their kind', async (t) => {
  const model = await load(dir);
  const prompts = { query: 'query: ', document: 'passage: ' };
  const promptOf = async (adapter: AdapterModel, kind?: 'query' | 'document') => (await adapter.batches(['a', 'b'], kind)).prompt;
  t.equal(await promptOf(new AdapterModel('test', { model, prompts }), 'query'), 'query: ', 'query prompt');
  t.equal(await promptOf(new AdapterModel('test', { model, prompts }), 'document'), 'passage: ', 'document prompt');
  t.equal(await promptOf(new AdapterModel('test', { model, prompts })), '', 'texts of no kind: no prompt');
  t.equal(await promptOf(new AdapterModel('test', { model, prompts: { query: 'query: ' } }), 'document'), '', 'no document prompt');
  t.equal(await promptOf(new AdapterModel('test', { model }), 'query'), '', 'no prompts');
  t.deepEqual((await new AdapterModel('test', { model, prompts }).batches(['a', 'b'], 'query')).batches, [['a', 'b']], 'the texts stay as given');
  await model.close();

  // a model with prompts of its own: the adapter gives what encodeQuery, encodeDocument and encode give
  const prompted = await load(tinyDir('bert-dense-prompts'), { backend: 'js' });
  const adapter = new AdapterModel('test', { model: prompted });
  const texts = ['a man plays a guitar', 'the weather is cold'];
  for (const [kind, expected] of [
    ['query', await prompted.encodeQuery(texts)],
    ['document', await prompted.encodeDocument(texts)],
    [undefined, await prompted.encode(texts)],
  ] as const) {
    t.deepEqual((await adapter.embed(texts, { kind })).vectors, expected.map((vector) => Array.from(vector)), `${kind ?? 'no kind'}: the model's own prompt`);
  }
  t.deepEqual((await new AdapterModel('test', { model: prompted, prompts: { query: 'search: ' } }).embed(texts, { kind: 'query' })).vectors,
    (await prompted.encode(texts, { prompt: 'search: ' })).map((vector) => Array.from(vector)), 'the prompts option wins');
  await prompted.close();
});

test('adapter model: errors say what to pass or install', async (t) => {
  const model = await load(dir);
  t.throws(() => new AdapterModel('SentvecEmbeddings', {} as never), /SentvecEmbeddings: options\.model must be a model id or folder .* got undefined/, 'no model');
  t.throws(() => new AdapterModel('X', { model: 42 } as never), /options\.model must be .* got number/, 'a number');
  t.throws(() => new AdapterModel('X', { model, batchTokens: 0 }), /batchTokens must be a positive integer, got 0/, 'batchTokens 0');
  t.match(await failure(new AdapterModel('X', { model, batchTokens: 100 }).batches(['a'])),
    /X: batchTokens 100 is less than the model's max_seq_length 256/, 'a budget below max_seq_length');
  t.match(await failure(new AdapterModel('X', { model: '/nonexistent/model' }).model()), /model folder \/nonexistent\/model does not exist/, 'load() errors pass through');

  const missing = 'sentvec-peer-that-is-not-installed';
  t.equal(await failure(importPeer(() => import(missing), missing, 'sentvec/example')),
    `sentvec/example needs ${missing}, an optional peer dependency of sentvec that is not installed: npm install ${missing}`, 'a missing peer: the package to install');
  t.match(await failure(importPeer(() => Promise.reject(new SyntaxError('broken')), missing, 'sentvec/example')), /^broken$/, 'other import errors pass through');
  await model.close();
});

test('adapter model: where a framework is not installed, its entry point names the package to install', async (t) => {
  // the built package outside this project, where no node_modules holds the frameworks
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sentvec-no-peers-'));
  fs.cpSync(path.join(projectRoot, 'dist', 'src'), path.join(root, 'src'), { recursive: true });
  fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ type: 'module' }));
  for (const [entry, peer] of [['langchain', '@langchain/core'], ['llamaindex', '@llamaindex/core']]) {
    t.equal(await failure(import(pathToFileURL(path.join(root, 'src', 'adapters', `${entry}.js`)).href)),
      `sentvec/${entry} needs ${peer}, an optional peer dependency of sentvec that is not installed: npm install ${peer}`, `sentvec/${entry}`);
  }
  const { sentvec } = await import(pathToFileURL(path.join(root, 'src', 'adapters', 'ai-sdk.js')).href);
  t.equal(typeof sentvec.embedding, 'function', 'sentvec/ai-sdk needs no AI SDK package');
  fs.rmSync(root, { recursive: true, force: true });
});
