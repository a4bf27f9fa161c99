// Load test of `sentvec serve` on loopback (npm run bench:serve), all-MiniLM-L6-v2 on STS-B test
// sentences:
//   1. in-process baseline: encode() of every test sentence at batch 32, sentences/s over at
//      least BASELINE_SECONDS, before and after step 2; its vectors are the reference every
//      server answer is checked against;
//   2. the server as a child process (`node dist/src/cli.js serve`, default settings), CONNECTIONS
//      keep-alive connections for LOAD_SECONDS, each request 1–32 consecutive sentences through
//      POST /v1/embeddings as the openai client sends it (base64): errors, wrong vectors (any bit
//      differs), sentences/s, p50/p99 request latency, the server's peak RSS;
//   3. OVERLOAD_CONNECTIONS connections at once for OVERLOAD_SECONDS, 1–4 sentences a request: the 429s the queue bound
//      gives, that the server is still alive, and that a request right after is answered normally.
// Prints a table; never fails a build.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { load } from '../src/index.js';
import { checkpointDir, projectRoot, stsTestSentences } from '../test/fixtures.js';

const MODEL = 'all-MiniLM-L6-v2';
const BASELINE_SECONDS = 15;
const CONNECTIONS = 64;
const LOAD_SECONDS = 20;
const MAX_TEXTS = 32;
const OVERLOAD_CONNECTIONS = 2000;
const OVERLOAD_SECONDS = 10;
// small requests, so the 512 admitted ones drain in seconds once the run ends
const OVERLOAD_MAX_TEXTS = 4;

const texts = stsTestSentences();
const cli = path.join(projectRoot, 'dist', 'src', 'cli.js');

// deterministic request sizes and offsets, so runs are comparable
let seed = 12345;
function random(below: number): number {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed % below;
}

interface Reply {
  status: number;
  body: string;
}

function post(agent: http.Agent, url: URL, body: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** encode() of every test sentence at batch 32, pass after pass; the vectors of the first pass. */
async function baseline(): Promise<{ sentencesPerSecond: number; reference: Buffer[] }> {
  const model = await load(checkpointDir(MODEL));
  let reference: Buffer[] = [];
  let sentences = 0;
  const started = performance.now();
  while (performance.now() - started < BASELINE_SECONDS * 1000) {
    const vectors = await model.encode(texts, { batchSize: 32 });
    if (sentences === 0) reference = vectors.map((vector) => Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength));
    sentences += texts.length;
  }
  const sentencesPerSecond = sentences / ((performance.now() - started) / 1000);
  await model.close();
  return { sentencesPerSecond, reference };
}

async function startServer(): Promise<{ url: URL; pid: number; stop(): Promise<number | null> }> {
  const child = spawn(process.execPath, [cli, 'serve', '--model', checkpointDir(MODEL), '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  while (!/ready on (\S+)/.test(stderr)) {
    if (child.exitCode !== null) throw new Error(`sentvec serve exited: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const url = new URL('/v1/embeddings', /ready on (\S+)/.exec(stderr)![1]);
  return {
    url,
    pid: child.pid!,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Peak resident set of a process, from /proc (Linux). */
function peakRss(pid: number): string {
  try {
    const kb = Number(/VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    return `${(kb / 1024).toFixed(0)} MB`;
  } catch {
    return 'n/a';
  }
}

function requestBody(maxTexts = MAX_TEXTS): { from: number; count: number; body: string } {
  const count = 1 + random(maxTexts);
  const from = random(texts.length - count);
  return { from, count, body: JSON.stringify({ model: MODEL, input: texts.slice(from, from + count), encoding_format: 'base64' }) };
}

async function loadTest(url: URL, reference: Buffer[]) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const latencies: number[] = [];
  let errors = 0;
  let wrong = 0;
  let sentences = 0;
  const started = performance.now();
  const end = started + LOAD_SECONDS * 1000;
  await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    while (performance.now() < end) {
      const { from, count, body } = requestBody();
      const sent = performance.now();
      try {
        const reply = await post(agent, url, body);
        latencies.push(performance.now() - sent);
        if (reply.status !== 200) {
          errors++;
          continue;
        }
        const data = JSON.parse(reply.body).data as { embedding: string }[];
        if (data.length !== count || data.some((d, i) => !Buffer.from(d.embedding, 'base64').equals(reference[from + i]))) wrong++;
        sentences += count;
      } catch {
        errors++;
      }
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { requests: latencies.length, errors, wrong, sentencesPerSecond: sentences / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

async function overload(url: URL) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: OVERLOAD_CONNECTIONS });
  const statuses = new Map<string, number>();
  const count = (key: string) => statuses.set(key, (statuses.get(key) ?? 0) + 1);
  const end = performance.now() + OVERLOAD_SECONDS * 1000;
  await Promise.all(Array.from({ length: OVERLOAD_CONNECTIONS }, async () => {
    while (performance.now() < end) {
      try {
        count(String((await post(agent, url, requestBody(OVERLOAD_MAX_TEXTS).body)).status));
      } catch (error) {
        count((error as NodeJS.ErrnoException).code ?? 'error');
      }
    }
  }));
  agent.destroy();
  return statuses;
}

async function main(): Promise<void> {
  console.log(`sentvec serve load test: ${MODEL}, STS-B test sentences, 1–${MAX_TEXTS} per request`);
  const before = await baseline();
  const server = await startServer();
  const run = await loadTest(server.url, before.reference);
  const rss = peakRss(server.pid);
  // on a shared machine the load drifts: the baseline is measured on both sides of the server run
  const later = await baseline();
  const inProcess = (before.sentencesPerSecond + later.sentencesPerSecond) / 2;
  console.log(`in-process encode(), batch 32: ${before.sentencesPerSecond.toFixed(0)} sentences/s before the server run, ${later.sentencesPerSecond.toFixed(0)} after`);
  console.log(`server, ${CONNECTIONS} connections, ${LOAD_SECONDS} s: ${run.requests} requests, ${run.errors} errors, ${run.wrong} wrong vectors`);
  console.log(`  ${run.sentencesPerSecond.toFixed(0)} sentences/s (${((100 * run.sentencesPerSecond) / inProcess).toFixed(1)} % of in-process)`);
  console.log(`  latency p50 ${run.p50.toFixed(1)} ms, p99 ${run.p99.toFixed(1)} ms; server peak RSS ${rss}`);

  const statuses = await overload(server.url);
  const next = await post(new http.Agent(), server.url, JSON.stringify({ model: MODEL, input: texts.slice(0, 3), encoding_format: 'base64' }));
  const nextExact = next.status === 200 && (JSON.parse(next.body).data as { embedding: string }[]).every((d, i) => Buffer.from(d.embedding, 'base64').equals(before.reference[i]));
  console.log(`server, ${OVERLOAD_CONNECTIONS} connections, ${OVERLOAD_SECONDS} s: ${[...statuses].map(([status, n]) => `${n} × ${status}`).join(', ')}`);
  console.log(`  right after: HTTP ${next.status}, vectors ${nextExact ? 'exact' : 'WRONG'}; server peak RSS ${peakRss(server.pid)}`);
  console.log(`  server exit code after SIGTERM: ${await server.stop()}`);
}

main().catch((error) => {
  console.error(`bench:serve could not run: ${(error as Error).message}`);
});
