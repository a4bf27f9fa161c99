// Run by test/edge-lambda.test.ts in a Node child of its own, not by tape: does what the Lambda
// Node.js runtime does with a function zip unpacked at LAMBDA_TASK_ROOT: imports the module the
// handler setting names, then calls its export with each event and a context object, in turn.
// Reads a LambdaJob as JSON on stdin, writes a LambdaResult as JSON on stdout.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export interface LambdaJob {
  taskRoot: string;
  /** The function's handler setting, 'file.export' as Lambda takes it. */
  handler: string;
  events: unknown[];
}

export interface LambdaResult {
  responses: { statusCode: number; body: string }[];
  /** Wall time of each invocation in seconds: the first one is the cold start. */
  seconds: number[];
  peakRss: number;
}

type Handler = (event: unknown, context: object) => Promise<{ statusCode: number; body: string }>;

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const job: LambdaJob = JSON.parse(Buffer.concat(chunks).toString('utf8'));

const [file, exportName] = job.handler.split('.');
const module = await import(pathToFileURL(path.join(job.taskRoot, `${file}.mjs`)).href);
const handler: Handler = module[exportName];
const result: LambdaResult = { responses: [], seconds: [], peakRss: 0 };
for (const [i, event] of job.events.entries()) {
  const started = performance.now();
  const deadline = Date.now() + 60_000;
  const context = {
    awsRequestId: `request-${i}`,
    functionName: 'sentvec-embed',
    memoryLimitInMB: '1024',
    getRemainingTimeInMillis: () => deadline - Date.now(),
    callbackWaitsForEmptyEventLoop: true,
  };
  result.responses.push(await handler(event, context));
  result.seconds.push((performance.now() - started) / 1000);
}
result.peakRss = process.resourceUsage().maxRSS * 1024;
// the model's worker thread keeps the loop alive, as a Lambda environment is kept between requests
process.stdout.write(JSON.stringify(result), () => process.exit(0));
