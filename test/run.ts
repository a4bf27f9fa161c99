// `npm test`: runs every compiled test file in its own Node process, one after another, and
// passes its TAP through. A file that outlives its time limit is killed and reported as a
// failing test that names it, so a hang costs minutes and a name, not the whole CI budget; a
// file that crashes is reported the same way. Ends with the time each file took, slowest first.
//
//   node dist/test/run.js [FILTER...]   runs the files whose path under dist/test contains any FILTER
//   SENTVEC_TEST_TIMEOUT=SECONDS        per-file limit (default 900)
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const limitSeconds = Number(process.env.SENTVEC_TEST_TIMEOUT ?? 900);
if (!(limitSeconds > 0)) throw new Error(`SENTVEC_TEST_TIMEOUT must be a positive number of seconds, got ${process.env.SENTVEC_TEST_TIMEOUT}`);

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => entry.isDirectory() ? testFiles(join(dir, entry.name)) : entry.name.endsWith('.test.js') ? [join(dir, entry.name)] : [])
    .sort();
}

interface Outcome { file: string; seconds: number; problem?: string; reportedFailure: boolean }

function runFile(file: string): Promise<Outcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    // its own process group, so a kill also takes the servers and browsers the file started
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    const killGroup = () => {
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
    };
    running = killGroup;
    let reportedFailure = false;
    let partialLine = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      process.stdout.write(chunk);
      const lines = (partialLine + chunk).split('\n');
      partialLine = lines.pop()!;
      if (lines.some((line) => /^not ok \d/.test(line))) reportedFailure = true;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, limitSeconds * 1000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const seconds = (performance.now() - started) / 1000;
      const problem = timedOut ? `did not finish within ${limitSeconds} s and was killed`
        : signal ? `died of ${signal}`
        : code !== 0 ? `exited with ${code}`
        : undefined;
      // a process the file left running would hold the pipe open: read what is buffered, then end it
      const finish = () => {
        killGroup();
        running = undefined;
        resolve({ file, seconds, problem, reportedFailure });
      };
      const grace = setTimeout(() => { child.stdout.destroy(); finish(); }, 2000);
      child.stdout.once('close', () => { clearTimeout(grace); finish(); });
    });
  });
}

let running: (() => void) | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    running?.();
    process.exit(130);
  });
}

const filters = process.argv.slice(2);
// matched against the path below dist/test, so the folder the repository sits in matches nothing
const files = testFiles(here).filter((file) => filters.length === 0 || filters.some((filter) => relative(here, file).includes(filter)));
if (files.length === 0) throw new Error(`no test file under ${here} matches ${filters.join(', ')}`);

const outcomes: Outcome[] = [];
for (const file of files) {
  const outcome = await runFile(file);
  outcomes.push(outcome);
  // a numbered line, so CI's count of failures includes a file that failed without saying so
  if (outcome.problem && !outcome.reportedFailure) console.log(`not ok 1 ${relative(here, file)} ${outcome.problem}`);
}

console.log('\n# seconds per file, slowest first');
for (const { file, seconds, problem } of [...outcomes].sort((a, b) => b.seconds - a.seconds)) {
  console.log(`# ${seconds.toFixed(1).padStart(7)}  ${relative(here, file)}${problem ? `  (${problem})` : ''}`);
}
const total = outcomes.reduce((sum, { seconds }) => sum + seconds, 0);
const failed = outcomes.filter(({ problem }) => problem);
console.log(`# ${files.length} files in ${(total / 60).toFixed(1)} min; ${failed.length} failed${failed.length ? `: ${failed.map(({ file }) => relative(here, file)).join(', ')}` : ''}`);
process.exitCode = failed.length ? 1 : 0;
