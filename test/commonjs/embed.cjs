// A CommonJS program using sentvec, run by test/commonjs.test.ts from a folder whose
// node_modules/sentvec is this checkout: node embed.cjs MODEL_DIR BACKEND < texts.json.
// Prints the entry files Node chose, the vectors of load() and of the AI SDK adapter over the same model.
const fs = require('node:fs');
const { load, SentenceModel } = require('sentvec');
const { createSentvec } = require('sentvec/ai-sdk');

async function main() {
  const [dir, backend] = process.argv.slice(2);
  const texts = JSON.parse(fs.readFileSync(0, 'utf8'));
  const model = await load(dir, { backend });
  const vectors = await model.encode(texts);
  const { embeddings } = await createSentvec().embedding(model).doEmbed({ values: texts });
  console.log(JSON.stringify({
    entries: [require.resolve('sentvec'), require.resolve('sentvec/ai-sdk')],
    isSentenceModel: model instanceof SentenceModel,
    backend: model.backend,
    vectors: vectors.map((vector) => Array.from(vector)),
    adapterVectors: embeddings,
  }));
  await model.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
