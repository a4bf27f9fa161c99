// sentvec/llamaindex through LlamaIndex's own entry points, with no LLM: VectorStoreIndex.fromDocuments
// stores encode()'s vectors, embedded in one getTextEmbeddings call, and a retriever query finds the
// nearest STS-B sentence.
import test from 'tape';
import { Document, MetadataMode, Settings, VectorStoreIndex, type SimpleVectorStore } from 'llamaindex';
import { SentvecEmbedding } from '../src/adapters/llamaindex.js';
import { load } from '../src/index.js';
import { corpus, expectedNearest, failure, query, sameBits } from './adapter-fixtures.js';
import { checkpointDir } from './fixtures.js';

const dir = checkpointDir('all-MiniLM-L6-v2');

test('llamaindex: VectorStoreIndex over a model folder, retriever query, one batched call', async (t) => {
  const model = await load(dir);
  const embedModel = new SentvecEmbedding({ model: dir });
  const calls: string[][] = [];
  const getTextEmbeddings = embedModel.getTextEmbeddings;
  // LlamaIndex empties the array it passed once the call returns: keep a copy
  embedModel.getTextEmbeddings = (texts) => (calls.push([...texts]), getTextEmbeddings(texts));
  Settings.embedModel = embedModel;

  const documents = corpus.map((text, i) => new Document({ text, id_: String(i) }));
  const index = await VectorStoreIndex.fromDocuments(documents);
  t.deepEqual(calls, [corpus], `the ${corpus.length} texts in one getTextEmbeddings call`);
  // the default text store; llamaindex bundles its class more than once, so instanceof cannot tell
  const stored = (index.vectorStores.TEXT as SimpleVectorStore).toDict();
  const byDocument = Object.entries(stored.embeddingDict).sort(([a], [b]) => Number(stored.textIdToRefDocId[a]) - Number(stored.textIdToRefDocId[b]));
  sameBits(t, byDocument.map(([, vector]) => vector), await model.encode(corpus), 'stored node vectors');

  const [nearest] = await index.asRetriever({ similarityTopK: 1 }).retrieve({ query });
  t.equal(nearest.node.getContent(MetadataMode.NONE), expectedNearest, `"${query}" finds "${expectedNearest}"`);
  sameBits(t, [(await embedModel.getQueryEmbedding({ type: 'text', text: query }))!], await model.encode([query]), 'query vector');
  t.equal(await embedModel.getQueryEmbedding({ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }), null, 'a query without text: null');

  await embedModel.close();
  t.match(await failure(embedModel.getTextEmbedding(query)), /SentvecEmbedding: closed/, 'close() releases the model it loaded');
  await model.close();
});

test('llamaindex: a loaded model, prompts, token-budget passes', async (t) => {
  const model = await load(dir);
  const embedModel = new SentvecEmbedding({ model, batchTokens: model.maxSeqLength, prompts: { query: 'query: ' } });
  t.equal(embedModel.embedBatchSize, 32, 'embedBatchSize: 32 texts per getTextEmbeddings call');
  const texts = [...corpus, corpus.join(' ')];
  const expected = await model.encode(texts);
  const passes: number[] = [];
  const encode = model.encode.bind(model);
  model.encode = (batch, options) => (passes.push(batch.length), encode(batch, options));
  sameBits(t, await embedModel.getTextEmbeddings(texts), expected, 'getTextEmbeddings');
  t.ok(passes.length > 1 && passes.reduce((a, b) => a + b) === texts.length, `one call, ${passes.length} forward passes within ${model.maxSeqLength} tokens`);
  sameBits(t, [await embedModel.getTextEmbedding(query)], await model.encode([query]), 'getTextEmbedding: no document prompt');
  sameBits(t, [(await embedModel.getQueryEmbedding({ type: 'text', text: query }))!], await model.encode([`query: ${query}`]), 'getQueryEmbedding: the query prompt');
  await embedModel.close();
  t.equal((await model.encode([query])).length, 1, 'close() leaves a model passed in open');
  await model.close();
});
