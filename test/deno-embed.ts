// Run by test/deno-parity.test.ts under Deno, not by tape: reads { model, sentences } as JSON on
// stdin, embeds the sentences on the WASM backend and writes the vectors as JSON on stdout.
import { supportedWasmVariants } from '../src/backend/wasm.js';
import { load } from '../src/index.js';

export interface DenoJob {
  model: string;
  sentences: string[];
}

export interface DenoResult {
  backend: string;
  variant: string;
  dimension: number;
  /** The vectors, one after another: sentences.length × dimension floats. */
  vectors: number[];
}

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const job: DenoJob = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const model = await load(job.model, { backend: 'wasm' });
const vectors = await model.encode(job.sentences, { batchSize: 32 });
const result: DenoResult = {
  backend: model.backend,
  variant: supportedWasmVariants()[0],
  dimension: model.dimension,
  vectors: vectors.flatMap((vector) => Array.from(vector)),
};
process.stdout.write(JSON.stringify(result));
