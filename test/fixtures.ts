// Where the tests find their inputs: the real checkpoints fetched by weights/fetch.sh, the
// STS Benchmark test split committed in test/data/stsbenchmark/, and the committed goldens written
// by test/goldens/.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root (tests run from dist/test/). */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const goldensDir = path.join(projectRoot, 'test', 'goldens');

/** The test checkpoints, by folder name under the weights cache. */
export const CHECKPOINTS = [
  'all-MiniLM-L6-v2',
  'minilm-l12-random',
  'all-mpnet-base-v2',
  'multi-qa-mpnet-base-dot-v1-layout',
] as const;
export type CheckpointName = (typeof CHECKPOINTS)[number];

export function weightsRoot(): string {
  return process.env.SENTVEC_WEIGHTS ?? path.join(os.homedir(), '.cache', 'sentvec', 'weights');
}

/** A checkpoint folder, or an Error saying how to fetch it: tests never skip missing weights. */
export function checkpointDir(name: CheckpointName): string {
  const dir = path.join(weightsRoot(), name);
  if (!fs.existsSync(path.join(dir, '.complete'))) {
    throw new Error(`test checkpoint ${name} is missing from ${weightsRoot()}: run bash weights/fetch.sh`);
  }
  return dir;
}

export interface StsPair {
  sentence1: string;
  sentence2: string;
  score: number;
}

/** STS Benchmark test pairs: tab-separated, score in column 5, sentences in columns 6 and 7. */
export function stsTestPairs(): StsPair[] {
  const file = path.join(projectRoot, 'test', 'data', 'stsbenchmark', 'sts-test.csv');
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const columns = line.split('\t');
      return { score: Number(columns[4]), sentence1: columns[5], sentence2: columns[6] };
    });
}

/** Every STS-B test sentence in file order, sentence1 then sentence2 of each pair (2,758 texts). */
export function stsTestSentences(): string[] {
  return stsTestPairs().flatMap((pair) => [pair.sentence1, pair.sentence2]);
}

/** "Name: message" of the error `promise` rejects with, or 'no error': for asserting on failures. */
export async function errorMessage(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'no error';
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
}

/** A new temporary folder whose node_modules/sentvec is this checkout, as `npm install sentvec` would leave it. */
export function folderWithSentvec(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(projectRoot, path.join(dir, 'node_modules', 'sentvec'), 'dir');
  return dir;
}
