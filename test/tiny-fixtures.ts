// The tiny random checkpoints committed under test/fixtures/tiny/ (test/goldens/make_tiny_fixtures.py)
// and what their tests share: each fixture's goldens, and loading it on every backend.
import fs from 'node:fs';
import path from 'node:path';
import type test from 'tape';
import type { BackendName } from '../src/backend/kernels.js';
import { loadNativeAddon } from '../src/backend/native.js';
import { projectRoot } from './fixtures.js';
import { absent } from './required.js';

export type TinyFixture = 'bert-dense-prompts' | 'bert-exclude-prompt' | 'bert-cross-encoder' | 'bert-cross-encoder-3' | 'mpnet-cross-encoder'
  | 'xlm-roberta-cross-encoder';

export function tinyDir(name: TinyFixture): string {
  return path.join(projectRoot, 'test', 'fixtures', 'tiny', name);
}

export function tinyGolden<T>(name: TinyFixture): T {
  return JSON.parse(fs.readFileSync(path.join(tinyDir(name), 'goldens.json'), 'utf8')) as T;
}

/** The backends a test runs on: js and wasm always, native where the addon loads (required under CI). */
export async function tinyBackends(t: test.Test): Promise<BackendName[]> {
  try {
    await loadNativeAddon();
    return ['js', 'wasm', 'native'];
  } catch (error) {
    absent(t, 'native addon', (error as Error).message, 'SENTVEC_REQUIRE_NATIVE');
    return ['js', 'wasm'];
  }
}

/** Largest |a - b| over two equally shaped lists of rows, or Infinity when the shapes differ. */
export function maxAbsDifference(found: ArrayLike<number>[], expected: number[][]): number {
  if (found.length !== expected.length) return Infinity;
  let worst = 0;
  found.forEach((row, i) => {
    if (row.length !== expected[i].length) worst = Infinity;
    for (let j = 0; j < row.length; j++) worst = Math.max(worst, Math.abs(row[j] - expected[i][j]));
  });
  return worst;
}

/** A fixture's files by relative path (goldens.json left out), to load altered copies from memory. */
export function tinyFiles(name: TinyFixture): Record<string, Uint8Array> {
  const dir = tinyDir(name);
  const files: Record<string, Uint8Array> = {};
  const walk = (relative: string) => {
    for (const entry of fs.readdirSync(path.join(dir, relative), { withFileTypes: true })) {
      const file = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(file);
      else if (file !== 'goldens.json') files[file] = new Uint8Array(fs.readFileSync(path.join(dir, file)));
    }
  };
  walk('');
  return files;
}

/** `files` with the JSON file at `path` changed by `change`. */
export function withJson(files: Record<string, Uint8Array>, path: string, change: (json: Record<string, unknown>) => void): Record<string, Uint8Array> {
  const json = JSON.parse(new TextDecoder().decode(files[path]));
  change(json);
  return { ...files, [path]: new TextEncoder().encode(JSON.stringify(json)) };
}
