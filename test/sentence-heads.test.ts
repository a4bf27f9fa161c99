// Dense, Normalize, prompts, include_prompt false and truncate_dim against sentence-transformers 6
// on PyTorch, through tiny random BERTs (test/fixtures/tiny), on every backend.
import test from 'tape';
import { load } from '../src/index.js';
import { errorMessage } from './fixtures.js';
import { maxAbsDifference, tinyBackends, tinyDir, tinyFiles, tinyGolden, withJson, type TinyFixture } from './tiny-fixtures.js';

const MAX_ABS = 1e-5;

interface SentenceGolden {
  texts: string[];
  calls: { method: 'encode' | 'encode_query' | 'encode_document'; options: Record<string, unknown>; vectors: number[][] }[];
}

const METHODS = { encode: 'encode', encode_query: 'encodeQuery', encode_document: 'encodeDocument' } as const;

/** sentence-transformers keyword arguments as encode() options. */
function optionsOf(options: Record<string, unknown>) {
  return {
    prompt: options.prompt as string | undefined,
    promptName: options.prompt_name as string | undefined,
    truncateDim: options.truncate_dim as number | undefined,
    normalize: options.normalize_embeddings as boolean | undefined,
  };
}

for (const name of ['bert-dense-prompts', 'bert-exclude-prompt'] as TinyFixture[]) {
  test(`${name}: every call matches sentence-transformers on every backend`, async (t) => {
    const golden = tinyGolden<SentenceGolden>(name);
    for (const backend of await tinyBackends(t)) {
      const model = await load(tinyDir(name), { backend });
      try {
        for (const call of golden.calls) {
          const vectors = await model[METHODS[call.method]](golden.texts, optionsOf(call.options));
          const worst = maxAbsDifference(vectors, call.vectors);
          t.ok(worst <= MAX_ABS, `${backend} ${call.method}(${JSON.stringify(call.options)}): ` +
            `${vectors.length}×${vectors[0].length}, max |Δ| ${worst.toExponential(2)} ≤ ${MAX_ABS}`);
        }
      } finally {
        await model.close();
      }
    }
  });
}

test('prompts, truncateDim and Dense modules are refused with a message that says what is wrong', async (t) => {
  const model = await load(tinyDir('bert-dense-prompts'), { backend: 'js' });
  t.deepEqual(model.prompts, { query: 'query: ', document: 'passage: ', classification: 'Classify the topic of the text: ' }, 'prompts');
  t.equal(model.defaultPromptName, 'classification', 'default prompt name');
  t.equal(model.dimension, 16, 'the Dense module sets the dimension');
  t.ok(model.normalizes, 'ends in Normalize');
  t.equal(await errorMessage(model.encode(['a'], { promptName: 'search' })),
    'RangeError: encode: prompt name "search" is not one of the model\'s prompts ("query", "document", "classification")');
  t.equal(await errorMessage(model.encode(['a'], { truncateDim: 17 })),
    'RangeError: encode: truncateDim must be an integer in 1..16 (the model\'s vectors have 16 values), got 17');
  await model.close();

  const truncated = await load(tinyDir('bert-dense-prompts'), { backend: 'js', truncateDim: 8 });
  t.equal(truncated.dimension, 8, 'load({ truncateDim }) sets the dimension');
  t.notOk(truncated.normalizes, 'a truncated vector is not unit length');
  t.equal((await truncated.encode(['a']))[0].length, 8, 'encode() truncates');
  t.equal((await truncated.encodeTokenized([truncated.tokenize('a')]))[0].length, 8, 'encodeTokenized() truncates');
  await truncated.close();
  t.equal(await errorMessage(load(tinyDir('bert-dense-prompts'), { backend: 'js', truncateDim: 0 })),
    'RangeError: load: truncateDim must be an integer in 1..16 (the model\'s vectors have 16 values), got 0');

  const files = tinyFiles('bert-dense-prompts');
  const wide = withJson(files, '2_Dense/config.json', (config) => (config.in_features = 64));
  t.equal(await errorMessage(load(wide, { backend: 'js' })),
    'Error: (files)/2_Dense/config.json: in_features 64 does not match the 32 values the module before it gives');
  const relu = withJson(files, '2_Dense/config.json', (config) => (config.activation_function = 'torch.nn.modules.activation.ReLU'));
  t.match(await errorMessage(load(relu, { backend: 'js' })),
    /2_Dense\/config\.json: activation_function "torch\.nn\.modules\.activation\.ReLU" is not supported \(supported: torch\.nn\.modules\.activation\.Tanh, torch\.nn\.modules\.linear\.Identity\)/);
  const { '2_Dense/model.safetensors': _, ...pickled } = files;
  t.equal(await errorMessage(load({ ...pickled, '2_Dense/pytorch_model.bin': new Uint8Array(8) }, { backend: 'js' })),
    'Error: (files)/2_Dense/model.safetensors: missing, but modules.json lists a Dense module there (only pytorch_model.bin, ' +
    'which sentvec does not read: save the model with safe_serialization=True)');
  const golden = tinyGolden<SentenceGolden>('bert-dense-prompts');
  const configured = await load(withJson(files, 'config_sentence_transformers.json', (config) => (config.truncate_dim = 8)), { backend: 'js' });
  const worst = maxAbsDifference(await configured.encode(golden.texts), golden.calls[0].vectors.map((vector) => vector.slice(0, 8)));
  t.ok(configured.dimension === 8 && worst <= MAX_ABS, `config truncate_dim 8: dimension ${configured.dimension}, max |Δ| ${worst.toExponential(2)}`);
  const past = await load(withJson(files, 'config_sentence_transformers.json', (config) => (config.truncate_dim = 100)), { backend: 'js' });
  t.equal(past.dimension, 16, 'a config truncate_dim past the width keeps the whole vector, as sentence-transformers does');
  const badDefault = withJson(files, 'config_sentence_transformers.json', (config) => (config.default_prompt_name = 'search'));
  t.match(await errorMessage(load(badDefault, { backend: 'js' })),
    /config_sentence_transformers\.json: default_prompt_name "search" is not one of the prompts \(query, document, classification\)/);
});
