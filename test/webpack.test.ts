// webpack, target node, over examples/webpack. With sentvec external (the README's setting) the
// bundle requires sentvec from node_modules and embeds on the native addon and on WASM; bundled
// in, webpack emits the .wasm files beside the bundle and sentvec runs on WASM from there.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test from 'tape';
import { checkpointDir, folderWithSentvec, projectRoot } from './fixtures.js';
import { agreement, embeddingGolden } from './goldens.js';
import { nativeAddonOrSkip } from './native-addon.js';

const MAX_ABS = 1e-5;
const EXAMPLE = path.join(projectRoot, 'examples', 'webpack');
const WEBPACK_CLI = path.join(projectRoot, 'node_modules', 'webpack-cli', 'bin', 'cli.js');
const dir = checkpointDir('all-MiniLM-L6-v2');
const golden = embeddingGolden('all-MiniLM-L6-v2');
const texts = golden.texts.slice(0, 4);

/** A folder with the example and node_modules/sentvec, built by webpack with `config` (written from `configSource` if given). */
function builtExample(prefix: string, config: string, configSource?: string): string {
  const folder = folderWithSentvec(prefix);
  fs.cpSync(path.join(EXAMPLE, 'src'), path.join(folder, 'src'), { recursive: true });
  fs.copyFileSync(path.join(EXAMPLE, 'webpack.config.cjs'), path.join(folder, 'webpack.config.cjs'));
  if (configSource !== undefined) fs.writeFileSync(path.join(folder, config), configSource);
  const run = spawnSync(process.execPath, [WEBPACK_CLI, '--config', config], { cwd: folder, encoding: 'utf8', timeout: 120_000 });
  if (run.status !== 0) {
    fs.rmSync(folder, { recursive: true, force: true });
    throw new Error(`webpack --config ${config} exited with ${run.status}:\n${run.stdout}${run.stderr}`);
  }
  return folder;
}

/** Runs the bundle on the test texts; `backend` sets $SENTVEC_BACKEND, undefined leaves the choice to sentvec. */
function embedWithBundle(t: test.Test, folder: string, backend: string | undefined): void {
  const env = { ...process.env, SENTVEC_BACKEND: backend };
  if (backend === undefined) delete env.SENTVEC_BACKEND;
  const run = spawnSync(process.execPath, [path.join('dist', 'main.js'), dir, ...texts], { cwd: folder, env, encoding: 'utf8', timeout: 120_000 });
  if (run.status !== 0) {
    t.fail(`${backend ?? 'default backend'}: the bundle exited with ${run.status}: ${run.stderr}`);
    return;
  }
  const found = JSON.parse(run.stdout);
  const expected = backend ?? 'wasm';
  t.equal(found.backend, expected, `${backend ?? 'default backend'}: the bundle runs on ${expected}`);
  const { maxAbs } = agreement(found.vectors.map((vector: number[]) => Float32Array.from(vector)), golden.vectors);
  t.ok(maxAbs <= MAX_ABS, `${found.backend}: ${found.vectors.length} texts, max |Δ| ${maxAbs.toExponential(2)} ≤ ${MAX_ABS} against the golden`);
}

test('webpack, sentvec external: the bundle embeds on the native addon and on WASM', async (t) => {
  const folder = builtExample('sentvec-webpack-', 'webpack.config.cjs');
  try {
    t.ok(fs.readFileSync(path.join(folder, 'dist', 'main.js'), 'utf8').includes('require("sentvec")'), 'the bundle requires sentvec at run time');
    for (const backend of (await nativeAddonOrSkip(t)) ? ['native', 'wasm'] : ['wasm']) embedWithBundle(t, folder, backend);
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
});

test('webpack, sentvec bundled in: the .wasm files are emitted beside the bundle and it embeds on WASM', async (t) => {
  const bundledIn = "module.exports = { ...require('./webpack.config.cjs'), externals: {} };\n";
  const folder = builtExample('sentvec-webpack-bundled-', 'bundled.config.cjs', bundledIn);
  try {
    const emitted = fs.readdirSync(path.join(folder, 'dist')).filter((name) => name.endsWith('.wasm'));
    t.equal(emitted.length, fs.readdirSync(path.join(projectRoot, 'dist', 'wasm')).length, `webpack emitted ${emitted.length} .wasm files`);
    fs.rmSync(path.join(folder, 'node_modules'), { recursive: true });  // nothing may come from sentvec's own folder
    embedWithBundle(t, folder, undefined);
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
});
