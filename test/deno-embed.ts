// Run by test/deno-parity.test.ts under Deno and test/edge-bun.test.ts under Bun, not by tape:
// reads { model, sentences, backend? } as JSON on stdin, embeds the sentences on that backend
// (default WASM) and writes the vectors as JSON on stdout.
import { supportedWasmVariants } from '../src/backend/wasm.js';
import { load } from '../src/index.js';

export interface DenoJob {
  model: string;
  sentences: string[];
  backend?: string;
}

export interface DenoResult {
  backend: string;
  variant: string;
  dimension: number;
  /** The vectors, one after another: sentences.length × dimension floats. */
  vectors: number[];
  /** Peak resident set in bytes, where the runtime reports it. */
  peakRss?: number;
}

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const job: DenoJob = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const model = await load(job.model, { backend: job.backend ?? 'wasm' });
const vectors = await model.encode(job.sentences, { batchSize: 32 });
const result: DenoResult = {
  backend: model.backend,
  variant: supportedWasmVariants()[0],
  dimension: model.dimension,
  vectors: vectors.flatMap((vector) => Array.from(vector)),
  peakRss: process.resourceUsage?.().maxRSS * 1024,
};
process.stdout.write(JSON.stringify(result));
