// One engine in one process, so that peak RSS and cold start belong to that engine alone.
// Usage: node worker.mjs SPEC_JSON, where SPEC_JSON is {engine, options, checkpoint, threads, task,
// ...} (see tasks.mjs) and options go to the engine's load(); the answer is the last stdout line,
// prefixed with RESULT.
import { runTask } from './tasks.mjs';

const spec = JSON.parse(process.argv[2]);
const { load } = await import(`./engines/${spec.engine}.mjs`);
const result = await runTask(spec, () => load(spec.checkpoint, { ...spec.options, threads: spec.threads }));
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
// onnxruntime-web keeps worker threads alive; the measurement is done.
process.exit(0);
