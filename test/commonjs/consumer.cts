// A TypeScript CommonJS module using sentvec, type-checked by test/commonjs.test.ts with
// module node16: require() must find declarations of CommonJS format, and real types, not any.
import sentvec = require('sentvec');
import aiSdk = require('sentvec/ai-sdk');

export async function embed(dir: string, texts: string[]): Promise<Float32Array[]> {
  const model: sentvec.SentenceModel = await sentvec.load(dir, { backend: 'wasm', dtype: 'int8' });
  const provider: aiSdk.SentvecProvider = aiSdk.createSentvec();
  const adapter: aiSdk.SentvecEmbeddingModel = provider.embedding(model);
  const { embeddings }: { embeddings: number[][] } = await adapter.doEmbed({ values: texts });
  if (embeddings.length !== texts.length) throw new sentvec.HubError('not-found', 'unreachable');
  // @ts-expect-error: encode() takes strings
  await model.encode([42]);
  // @ts-expect-error: 'int4' is not a dtype
  await sentvec.load(dir, { dtype: 'int4' });
  return model.encode(texts);
}
