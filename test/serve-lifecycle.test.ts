// sentvec serve as a process: /health once ready, one log line per request (JSON with --log-format
// json), and on SIGTERM it stops accepting, finishes the request in flight and exits 0.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import test from 'tape';
import { checkpointDir, projectRoot, stsTestSentences } from './fixtures.js';

const cli = path.join(projectRoot, 'dist', 'src', 'cli.js');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('SIGTERM finishes the request in flight, then exits 0', async (t) => {
  const child = spawn(process.execPath, [cli, 'serve', '--model', checkpointDir('all-MiniLM-L6-v2'), '--port', '0', '--log-format', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  while (!/listening on (\S+),/.test(stderr)) await sleep(20);
  const url = /listening on (\S+),/.exec(stderr)![1];
  t.ok(url.startsWith('http://127.0.0.1:'), `binds 127.0.0.1 by default: ${url}`);
  // serve.test.ts sees the 503 of a model still loading; here the load may already be done
  const statuses = new Set<number>();
  while (!statuses.has(200)) {
    statuses.add((await fetch(`${url}/health`)).status);
    await sleep(20);
  }
  t.ok([...statuses].every((status) => status === 503 || status === 200), `/health answered ${[...statuses].join(' then ')}`);

  const texts = stsTestSentences().slice(0, 300);
  const inFlight = fetch(`${url}/embed`, { method: 'POST', body: JSON.stringify({ inputs: texts }) });
  while (!/^sentvec_requests_in_flight 1$/m.test(await (await fetch(`${url}/metrics`)).text())) await sleep(5);
  child.kill('SIGTERM');
  const response = await inFlight;
  t.equal(response.status, 200, 'the request in flight is answered');
  t.equal(((await response.json()) as number[][]).length, texts.length, 'with every vector');
  t.equal(await exited, 0, 'exit 0');
  await fetch(`${url}/health`).then(() => t.fail('still accepting'), () => t.pass('no longer accepting'));
  const lines = stdout.trim().split('\n').map((line) => JSON.parse(line));
  const logged = lines.find((line) => line.route === '/embed');
  t.deepEqual({ ...logged, time: undefined, ms: undefined }, { time: undefined, method: 'POST', route: '/embed', status: 200, inputs: 300, tokens: logged.tokens, ms: undefined }, 'one JSON log line per request');
  t.ok(logged.tokens > 300 && logged.ms > 0, `tokens ${logged.tokens}, ${logged.ms} ms`);
});

test('sentvec serve refuses bad flags with one line and exit 2', (t) => {
  for (const [args, pattern] of [
    [['serve'], /--model DIR_OR_REPO is required/],
    [['serve', '--model', 'x', '--port', 'eighty'], /--port must be a number/],
    [['serve', '--model', 'x', '--colour', 'red'], /unknown flag '--colour' for serve/],
    [['serve', '--model', 'x', '--max-batch-size', '0'], /maxBatchSize must be a positive integer/],
  ] as const) {
    const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 30_000 });
    t.equal(result.status, 2, `${args.join(' ')}: exit 2`);
    t.match(result.stderr, pattern, result.stderr.trim());
  }
  t.end();
});
