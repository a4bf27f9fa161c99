// Bundles examples/cloudflare-worker as `wrangler deploy` does: esbuild over the worker's imports
// with the workerd export conditions, each imported .wasm left as a module of its own (Wrangler's
// CompiledWasm rule), `sentvec` resolved to this checkout as if installed in the example.
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { projectRoot } from '../fixtures.js';

export const WORKER_EXAMPLE = path.join(projectRoot, 'examples', 'cloudflare-worker');

export interface WorkerBundle {
  dir: string;
  /** The bundle's main module, a file name in `dir`. */
  main: string;
  /** The .wasm modules beside it, by the name the main module imports them as. */
  wasm: string[];
  /** Bytes of all modules, gzip-compressed one by one, as Cloudflare's upload limit counts. */
  compressedBytes: number;
  uncompressedBytes: number;
}

/**
 * `format` 'esm' is a Workers module worker; 'iife' is one script for a runtime that evaluates
 * scripts (edge-runtime): the worker's default export is then `globalThis.__worker.default`, and
 * each .wasm import reads `globalThis.__wasmModules[name]`, which the host sets.
 */
export async function bundleWorker(format: 'esm' | 'iife', entry = path.join(WORKER_EXAMPLE, 'src', 'index.js')): Promise<WorkerBundle> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sentvec-worker-'));
  const modules = path.join(dir, 'node_modules');
  fs.mkdirSync(modules);
  fs.symlinkSync(projectRoot, path.join(modules, 'sentvec'), 'dir');
  const wasm = new Map<string, string>();
  const wasmModules: esbuild.Plugin = {
    name: 'compiled-wasm',
    setup(build) {
      build.onResolve({ filter: /\.wasm$/ }, async (args) => {
        if (args.pluginData === 'wasm') return undefined;  // our own lookup below, left to esbuild
        const resolved = await build.resolve(args.path, { kind: 'import-statement', resolveDir: args.resolveDir, pluginData: 'wasm' });
        if (resolved.errors.length > 0) return { errors: resolved.errors };
        const name = path.basename(resolved.path);
        wasm.set(name, resolved.path);
        return format === 'esm' ? { path: `./${name}`, external: true } : { path: name, namespace: 'wasm-global' };
      });
      build.onLoad({ filter: /.*/, namespace: 'wasm-global' }, (args) => ({
        contents: `export default globalThis.__wasmModules[${JSON.stringify(args.path)}];`,
        loader: 'js',
      }));
    },
  };
  const main = format === 'esm' ? 'worker.js' : 'worker.iife.js';
  await esbuild.build({
    entryPoints: [entry],
    outfile: path.join(dir, main),
    bundle: true,
    format,
    globalName: format === 'iife' ? '__worker' : undefined,
    platform: 'neutral',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    nodePaths: [modules],
    external: ['node:*'],
    plugins: [wasmModules],
    logLevel: 'silent',
  });
  for (const [name, file] of wasm) fs.copyFileSync(file, path.join(dir, name));
  const files = [main, ...wasm.keys()].map((name) => fs.readFileSync(path.join(dir, name)));
  return {
    dir,
    main,
    wasm: [...wasm.keys()],
    compressedBytes: files.reduce((sum, bytes) => sum + zlib.gzipSync(bytes, { level: 9 }).length, 0),
    uncompressedBytes: files.reduce((sum, bytes) => sum + bytes.length, 0),
  };
}
