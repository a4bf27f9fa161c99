// The tokenizer gives the ids sentence-transformers gives (Hugging Face `tokenizers`), checked
// against test/goldens/tokens-<checkpoint>.json written by test/goldens/make_token_goldens.py.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import test from 'tape';
import { Tokenizer } from '../src/tokenizer/index.js';
import { CHECKPOINTS, type CheckpointName, checkpointDir, goldensDir, projectRoot, stsTestSentences } from './fixtures.js';
import { readTokenizerFiles } from './tokenizer-files.js';

interface TokenGoldens {
  checkpoint: string;
  max_seq_length: number;
  pad_id: number;
  sts_count: number;
  sts_sha256: string;
  stress_texts: string[];
  sts_ids: number[][];
  stress_ids: number[][];
  fallback_differs: { sts: Record<string, number[]>; stress: Record<string, number[]> };
}

const SHOWN_MISMATCHES = 5;

function readGoldens(name: CheckpointName): TokenGoldens {
  return JSON.parse(fs.readFileSync(path.join(goldensDir, `tokens-${name}.json`), 'utf8')) as TokenGoldens;
}

interface Case {
  set: string;
  text: string;
  expected: number[];
}

function cases(goldens: TokenGoldens, withFallbackIds: boolean): Case[] {
  const sts = stsTestSentences();
  const pick = (set: 'sts' | 'stress', index: number, ids: number[]): number[] =>
    (withFallbackIds ? goldens.fallback_differs[set][String(index)] : undefined) ?? ids;
  return [
    ...sts.map((text, index) => ({ set: 'sts', text, expected: pick('sts', index, goldens.sts_ids[index]) })),
    ...goldens.stress_texts.map((text, index) => ({ set: 'stress', text, expected: pick('stress', index, goldens.stress_ids[index]) })),
  ];
}

function compare(t: test.Test, tokenizer: Tokenizer, allCases: Case[], maxLength: number, label: string): void {
  const mismatches: string[] = [];
  const started = performance.now();
  for (const { set, text, expected } of allCases) {
    const found = Array.from(tokenizer.encode(text, maxLength));
    if (found.length !== expected.length || found.some((id, i) => id !== expected[i])) {
      mismatches.push(`${set} ${JSON.stringify(text.length > 200 ? text.slice(0, 200) + '…' : text)}\n  expected ${JSON.stringify(expected)}\n  found    ${JSON.stringify(found)}`);
    }
  }
  const elapsed = performance.now() - started;
  for (const mismatch of mismatches.slice(0, SHOWN_MISMATCHES)) t.comment(mismatch);
  t.comment(`${label}: ${allCases.length} texts compared in ${elapsed.toFixed(0)} ms, ${mismatches.length} mismatches`);
  t.equal(mismatches.length, 0, `${label}: ids identical on all ${allCases.length} texts`);
}

test('goldens were made from the texts the tests use', (t) => {
  const sts = stsTestSentences();
  const stress = JSON.parse(fs.readFileSync(path.join(projectRoot, 'test', 'data', 'unicode-stress.json'), 'utf8')) as string[];
  const stsHash = createHash('sha256').update(sts.join('\n'), 'utf8').digest('hex');
  for (const name of CHECKPOINTS) {
    const goldens = readGoldens(name);
    t.equal(goldens.sts_count, sts.length, `${name}: STS-B sentence count`);
    t.equal(goldens.sts_sha256, stsHash, `${name}: STS-B sentences hash`);
    t.deepEqual(goldens.stress_texts, stress, `${name}: stress texts`);
  }
  t.end();
});

for (const name of CHECKPOINTS) {
  test(`${name}: tokenizer.json ids match sentence-transformers`, (t) => {
    const goldens = readGoldens(name);
    const tokenizer = Tokenizer.fromFiles(readTokenizerFiles(name), checkpointDir(name));
    t.equal(tokenizer.padId, goldens.pad_id, 'pad id');
    compare(t, tokenizer, cases(goldens, false), goldens.max_seq_length, `${name} tokenizer.json`);
    t.end();
  });

  test(`${name}: vocab.txt fallback ids match transformers without tokenizer.json`, (t) => {
    const goldens = readGoldens(name);
    const files = readTokenizerFiles(name);
    delete files['tokenizer.json'];
    const tokenizer = Tokenizer.fromFiles(files, checkpointDir(name));
    t.equal(tokenizer.padId, goldens.pad_id, 'pad id');
    compare(t, tokenizer, cases(goldens, true), goldens.max_seq_length, `${name} vocab.txt`);
    t.end();
  });
}

// Truncation keeps the first content ids: a shorter limit gives the golden's prefix with the
// same special tokens around it.
test('truncation to shorter lengths keeps the leading content ids', (t) => {
  for (const name of ['all-MiniLM-L6-v2', 'all-mpnet-base-v2'] as const) {
    const goldens = readGoldens(name);
    const tokenizer = Tokenizer.fromFiles(readTokenizerFiles(name), checkpointDir(name));
    const special = Array.from(tokenizer.encode('', goldens.max_seq_length));
    let mismatches = 0;
    let compared = 0;
    for (const { text, expected } of cases(goldens, false)) {
      if (expected.length >= goldens.max_seq_length) continue;
      for (const maxLength of [special.length, special.length + 1, 8, 16]) {
        const content = expected.slice(1, -1).slice(0, maxLength - special.length);
        const want = [special[0], ...content, special[1]];
        const found = Array.from(tokenizer.encode(text, maxLength));
        compared++;
        if (JSON.stringify(found) !== JSON.stringify(want)) mismatches++;
      }
    }
    t.equal(mismatches, 0, `${name}: ${compared} truncated encodings match the goldens' prefixes`);
  }
  t.end();
});
