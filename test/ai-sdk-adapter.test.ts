// sentvec/ai-sdk through the AI SDK's own entry points: embed, embedMany and cosineSimilarity give
// encode()'s vectors and find the nearest STS-B sentence, for each embedding model specification
// version the installed `ai` accepts.
import test from 'tape';
import { cosineSimilarity, embed, embedMany } from 'ai';
import type { EmbeddingModelV2, EmbeddingModelV3, EmbeddingModelV4 } from '@ai-sdk/provider';
import { sentvec, SentvecEmbeddingModel } from '../src/adapters/ai-sdk.js';
import { load } from '../src/index.js';
import { corpus, expectedNearest, failure, query, sameBits } from './adapter-fixtures.js';
import { checkpointDir } from './fixtures.js';

const dir = checkpointDir('all-MiniLM-L6-v2');
// the SDK logs a compatibility warning for every v2 model call
(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

test('ai-sdk: embed, embedMany and cosineSimilarity over a model folder', async (t) => {
  const model = await load(dir);
  const embeddingModel = sentvec.embedding(dir);
  t.equal(embeddingModel.modelId, dir, 'modelId: the folder given');
  t.equal(await embeddingModel.maxEmbeddingsPerCall, 32, 'maxEmbeddingsPerCall: 32 texts at max_seq_length');
  t.equal(await embeddingModel.supportsParallelCalls, model.backend === 'native', `supportsParallelCalls on ${model.backend}`);

  const many = await embedMany({ model: embeddingModel, values: corpus });
  sameBits(t, many.embeddings, await model.encode(corpus), 'embedMany');
  const tokens = corpus.reduce((sum, text) => sum + model.tokenize(text).length, 0);
  t.equal(many.usage.tokens, tokens, `usage: ${tokens} tokens`);

  const one = await embed({ model: embeddingModel, value: query });
  sameBits(t, [one.embedding], await model.encode([query]), 'embed');
  const scores = many.embeddings.map((vector) => cosineSimilarity(one.embedding, vector));
  t.equal(corpus[scores.indexOf(Math.max(...scores))], expectedNearest, `"${query}" finds "${expectedNearest}"`);

  await embeddingModel.close();
  t.match(await failure(embed({ model: embeddingModel, value: query, maxRetries: 0 })), /sentvec\.embedding: closed/, 'close() releases the model it loaded');
  await model.close();
});

test('ai-sdk: specification versions 2, 3 and 4 through embedMany, calls cut at maxEmbeddingsPerCall', async (t) => {
  const model = await load(dir);
  const expected = await model.encode(corpus);
  const v2 = sentvec.embedding(model, { specificationVersion: 'v2' }) satisfies EmbeddingModelV2<string>;
  const v3 = sentvec.embedding(model, { specificationVersion: 'v3' }) satisfies EmbeddingModelV3;
  const v4 = sentvec.embedding(model, { batchTokens: 4 * model.maxSeqLength }) satisfies EmbeddingModelV4;
  for (const embeddingModel of [v2, v3, v4]) {
    const calls: number[] = [];
    const doEmbed = embeddingModel.doEmbed.bind(embeddingModel);
    embeddingModel.doEmbed = (options) => (calls.push(options.values.length), doEmbed(options));
    const { embeddings } = await embedMany({ model: embeddingModel, values: corpus });
    sameBits(t, embeddings, expected, `${embeddingModel.specificationVersion}`);
    const perCall = await embeddingModel.maxEmbeddingsPerCall;
    t.deepEqual(calls, Array.from({ length: Math.ceil(corpus.length / perCall!) }, (_, i) => Math.min(perCall!, corpus.length - i * perCall!)),
      `${embeddingModel.specificationVersion}: ${calls.length} doEmbed calls of at most ${perCall}`);
  }
  t.throws(() => sentvec.embedding(model, { specificationVersion: 'v1' as never }), /specificationVersion must be one of v2, v3, v4, got v1/, 'v1 refused');
  await model.close();
});

test('ai-sdk: doEmbed result, abortSignal, dimensions, and the wasm backend', async (t) => {
  const model = await load(dir, { backend: 'wasm' });
  const embeddingModel = new SentvecEmbeddingModel(model);
  t.equal(await embeddingModel.supportsParallelCalls, false, 'wasm: no parallel calls');
  t.equal(embeddingModel.modelId, 'sentvec', 'modelId of a loaded model');
  const result = await embeddingModel.doEmbed({ values: corpus.slice(0, 2) });
  t.deepEqual(Object.keys(result).sort(), ['embeddings', 'usage', 'warnings'], 'doEmbed returns embeddings, usage, warnings');
  t.deepEqual(result.warnings, [], 'no warnings');
  sameBits(t, result.embeddings, await model.encode(corpus.slice(0, 2)), 'wasm doEmbed');

  const aborted = new AbortController();
  aborted.abort(new Error('user navigated away'));
  t.equal(await failure(embedMany({ model: embeddingModel, values: corpus, abortSignal: aborted.signal, maxRetries: 0 })), 'user navigated away',
    'embedMany with an aborted signal rejects with its reason');

  const { warnings } = await embeddingModel.doEmbed({ values: [query], dimensions: 128 });
  t.deepEqual(warnings.map((warning) => warning.feature), ['dimensions'], 'a dimensions request the model cannot meet is a warning');
  await embeddingModel.close();
  t.equal((await model.encode([query])).length, 1, 'close() leaves a model passed in open');
  await model.close();
});
