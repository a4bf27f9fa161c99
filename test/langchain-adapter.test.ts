// sentvec/langchain through LangChain's own entry points: MemoryVectorStore.fromTexts and
// similaritySearch store and find encode()'s vectors; documents go through the AsyncCaller in
// forward passes cut by the token budget.
import test from 'tape';
import { MemoryVectorStore } from '@langchain/classic/vectorstores/memory';
import { SentvecEmbeddings } from '../src/adapters/langchain.js';
import { load } from '../src/index.js';
import { corpus, expectedNearest, failure, query, sameBits } from './adapter-fixtures.js';
import { checkpointDir } from './fixtures.js';

const dir = checkpointDir('all-MiniLM-L6-v2');

test('langchain: MemoryVectorStore over a model folder finds the nearest STS-B sentence with encode() vectors', async (t) => {
  const model = await load(dir);
  const embeddings = new SentvecEmbeddings({ model: dir });
  const store = await MemoryVectorStore.fromTexts(corpus, {}, embeddings);
  sameBits(t, store.memoryVectors.map((entry) => entry.embedding), await model.encode(corpus), 'stored document vectors');
  t.deepEqual(store.memoryVectors.map((entry) => entry.content), corpus, 'stored in input order');

  const [nearest] = await store.similaritySearch(query, 1);
  t.equal(nearest.pageContent, expectedNearest, `"${query}" finds "${expectedNearest}"`);
  sameBits(t, [await embeddings.embedQuery(query)], await model.encode([query]), 'query vector');

  await embeddings.close();
  t.match(await failure(embeddings.embedQuery(query)), /SentvecEmbeddings: closed/, 'close() releases the model it loaded');
  await model.close();
});

test('langchain: a loaded model, documents in token-budget passes through the AsyncCaller', async (t) => {
  const model = await load(dir);
  const embeddings = new SentvecEmbeddings({ model, batchTokens: model.maxSeqLength, maxConcurrency: 2 });
  // protected in the types; read here to prove the options arrive
  const caller = embeddings.caller as unknown as { maxConcurrency: number; maxRetries: number };
  t.equal(caller.maxConcurrency, 2, 'LangChain caller options reach the AsyncCaller');
  t.equal(caller.maxRetries, 0, 'no retries unless asked for');
  const calls: number[] = [];
  const call = embeddings.caller.call.bind(embeddings.caller);
  embeddings.caller.call = ((callable: () => Promise<number[][]>) => call(async () => {
    const vectors = await callable();
    calls.push(vectors.length);
    return vectors;
  })) as typeof embeddings.caller.call;

  const texts = [...corpus, corpus.join(' ')];
  sameBits(t, await embeddings.embedDocuments(texts), await model.encode(texts), 'documents');
  const tokens = texts.map((text) => model.tokenize(text).length);
  t.ok(calls.length > 1, `${texts.length} texts of ${tokens.reduce((a, b) => a + b)} tokens ran as ${calls.length} caller calls`);
  t.equal(calls.reduce((a, b) => a + b), texts.length, 'every text in exactly one call');

  const prompted = new SentvecEmbeddings({ model, prompts: { query: 'query: ', document: 'passage: ' } });
  sameBits(t, [await prompted.embedQuery(query)], await model.encode([`query: ${query}`]), 'embedQuery: the query prompt');
  sameBits(t, await prompted.embedDocuments(corpus.slice(0, 2)), await model.encode(corpus.slice(0, 2).map((text) => `passage: ${text}`)), 'embedDocuments: the document prompt');

  await embeddings.close();
  t.equal((await model.encode([query])).length, 1, 'close() leaves a model passed in open');
  await model.close();
});
