// Run by test/edge-runtime.test.ts in a Node child of its own, not by tape: Vercel's edge-runtime
// (the sandbox `vercel dev` and Next.js run edge functions in) evaluates the Workers example as
// one script, with compiling WebAssembly from bytes forbidden as on Vercel's edge, and the
// kernels handed over as compiled modules, as Vercel's `import wasm from './x.wasm?module'` does.
// Reads an EdgeRuntimeJob as JSON on stdin, writes an EdgeRuntimeResult as JSON on stdout.
import { EdgeRuntime } from 'edge-runtime';
import fs from 'node:fs';
import path from 'node:path';

export interface EdgeRuntimeJob {
  /** A bundle made by bundleWorker('iife'): its folder, main script and .wasm modules. */
  dir: string;
  main: string;
  wasm: string[];
  env: Record<string, string>;
  texts: string[];
}

export interface EdgeRuntimeResult {
  status: number;
  body: { dimension: number; vectors: number[][]; error?: string };
  seconds: number;
  /** This process's peak resident set before the first request and after the last, in bytes. */
  idlePeakRss: number;
  peakRss: number;
  /** What compiling an empty module from bytes met in the sandbox: 'compiled', or the error. */
  compileFromBytes: string;
}

const maxRss = () => process.resourceUsage().maxRSS * 1024;

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const job: EdgeRuntimeJob = JSON.parse(Buffer.concat(chunks).toString('utf8'));

// only the modules this engine validates (Node 20 has no relaxed SIMD); the example passes every
// import on, and sentvec picks the most capable module that was given
const wasmBytes = job.wasm.map((name) => [name, fs.readFileSync(path.join(job.dir, name))] as const);
const wasmModules = Object.fromEntries(wasmBytes.filter(([, bytes]) => WebAssembly.validate(bytes))
  .map(([name, bytes]) => [name, new WebAssembly.Module(bytes)]));
const runtime = new EdgeRuntime({
  codeGeneration: { strings: false, wasm: false },
  extend: (context) => Object.assign(context, { __wasmModules: wasmModules, __env: job.env }),
  initialCode: `${fs.readFileSync(path.join(job.dir, job.main), 'utf8')}
addEventListener('fetch', (event) => event.respondWith(__worker.default.fetch(event.request, __env)));`,
});
const compileFromBytes: string = await runtime.evaluate(
  `WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])).then(() => 'compiled', (error) => String(error))`);
const idlePeakRss = maxRss();
const started = performance.now();
const response = await runtime.dispatchFetch('http://edge.local/embed', {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ texts: job.texts }),
});
const result: EdgeRuntimeResult = {
  status: response.status,
  body: await response.json(),
  seconds: (performance.now() - started) / 1000,
  idlePeakRss,
  peakRss: maxRss(),
  compileFromBytes,
};
await response.waitUntil();
process.stdout.write(JSON.stringify(result));
