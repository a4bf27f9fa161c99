// test/deno-embed.ts run to its end under Deno or Bun, each from its pinned devDependency's
// launcher (which finds the platform's binary even where install scripts did not run).
import path from 'node:path';
import type { DenoJob } from '../deno-embed.js';
import { projectRoot } from '../fixtures.js';
import { runToEnd, type Finished } from './runtime-process.js';

export type ScriptRuntime = 'deno' | 'bun';

const dist = path.join(projectRoot, 'dist');
const script = path.join(dist, 'test', 'deno-embed.js');

function argsFor(runtime: ScriptRuntime, job: DenoJob): string[] {
  // Deno reads the build and the checkpoint only
  if (runtime === 'deno') return ['run', '--cached-only', '--no-prompt', '--no-config', `--allow-read=${dist},${job.model}`, '--allow-env', script];
  return [script];
}

export function launcher(runtime: ScriptRuntime): string {
  return path.join(projectRoot, 'node_modules', '.bin', runtime);
}

/** Embeds `job` under `runtime`; `env` is added to this process's environment. */
export function runEmbedScript(runtime: ScriptRuntime, job: DenoJob, timeoutMs: number, env: Record<string, string> = {}): Promise<Finished> {
  return runToEnd(launcher(runtime), argsFor(runtime, job), JSON.stringify(job), timeoutMs, { env: { ...process.env, ...env } });
}
