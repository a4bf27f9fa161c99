// Tokenizer.encodePair gives the ids and token type ids Hugging Face `tokenizers` gives a pair
// truncated longest_first (sentence-transformers' CrossEncoder), checked against
// test/goldens/pair-tokens-<checkpoint>.json written by test/goldens/make_pair_token_goldens.py.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import test from 'tape';
import { Tokenizer } from '../src/tokenizer/index.js';
import { checkpointDir, goldensDir, projectRoot, stsTestSentences } from './fixtures.js';
import { readTokenizerFiles } from './tokenizer-files.js';

interface PairGoldens {
  texts_count: number;
  texts_sha256: string;
  num_special_tokens: number;
  no_truncation_below: number[];
  /** a, b (indexes into the texts), max_length, ids, type ids as digits */
  cases: [number, number, number, number[], string][];
  fallback_differs: Record<string, [number[], string]>;
}

const NAMES = ['all-MiniLM-L6-v2', 'all-mpnet-base-v2'] as const;
const SHOWN_MISMATCHES = 5;

function texts(): string[] {
  const stress = JSON.parse(fs.readFileSync(path.join(projectRoot, 'test', 'data', 'unicode-stress.json'), 'utf8')) as string[];
  return [...stsTestSentences(), ...stress];
}

function readGoldens(name: string): PairGoldens {
  return JSON.parse(fs.readFileSync(path.join(goldensDir, `pair-tokens-${name}.json`), 'utf8')) as PairGoldens;
}

function compare(t: test.Test, tokenizer: Tokenizer, goldens: PairGoldens, withFallbackIds: boolean, label: string): void {
  const all = texts();
  const mismatches: string[] = [];
  const started = performance.now();
  goldens.cases.forEach(([a, b, maxLength, ids, typeIds], index) => {
    const [expectedIds, expectedTypes] = (withFallbackIds ? goldens.fallback_differs[String(index)] : undefined) ?? [ids, typeIds];
    const found = tokenizer.encodePair(all[a], all[b], maxLength);
    const foundTypes = Array.from(found.typeIds).join('');
    if (JSON.stringify(Array.from(found.ids)) !== JSON.stringify(expectedIds) || foundTypes !== expectedTypes) {
      mismatches.push(`texts ${a}, ${b} at max_length ${maxLength}\n  expected ${JSON.stringify(expectedIds)} ${expectedTypes}\n` +
        `  found    ${JSON.stringify(Array.from(found.ids))} ${foundTypes}`);
    }
  });
  for (const mismatch of mismatches.slice(0, SHOWN_MISMATCHES)) t.comment(mismatch);
  t.comment(`${label}: ${goldens.cases.length} pairs compared in ${(performance.now() - started).toFixed(0)} ms`);
  t.equal(mismatches.length, 0, `${label}: ids and type ids identical on all ${goldens.cases.length} pairs`);
}

test('pair goldens were made from the texts the tests use', (t) => {
  const all = texts();
  for (const name of NAMES) {
    const goldens = readGoldens(name);
    t.equal(goldens.texts_count, all.length, `${name}: text count`);
    t.equal(goldens.texts_sha256, createHash('sha256').update(all.join('\n'), 'utf8').digest('hex'), `${name}: texts hash`);
  }
  t.end();
});

for (const name of NAMES) {
  test(`${name}: encodePair matches Hugging Face tokenizers with longest_first truncation`, (t) => {
    const goldens = readGoldens(name);
    compare(t, Tokenizer.fromFiles(readTokenizerFiles(name), checkpointDir(name)), goldens, false, `${name} tokenizer.json`);
    t.end();
  });

  test(`${name}: encodePair of the vocab.txt fallback matches transformers without tokenizer.json`, (t) => {
    const files = readTokenizerFiles(name);
    delete files['tokenizer.json'];
    compare(t, Tokenizer.fromFiles(files, checkpointDir(name)), readGoldens(name), true, `${name} vocab.txt`);
    t.end();
  });

  // Below the special tokens Hugging Face does not truncate at all; sentvec refuses instead of
  // returning more ids than asked for.
  test(`${name}: encodePair refuses a maxLength below the pair's special tokens`, (t) => {
    const goldens = readGoldens(name);
    const tokenizer = Tokenizer.fromFiles(readTokenizerFiles(name), checkpointDir(name));
    t.deepEqual(goldens.no_truncation_below, [...Array(goldens.num_special_tokens).keys()], 'the reference ignores max_length below the special tokens');
    for (const maxLength of [...goldens.no_truncation_below, 2.5, NaN]) {
      t.throws(() => tokenizer.encodePair('a', 'b', maxLength),
        new RegExp(`^RangeError: encodePair: maxLength must be an integer of at least ${goldens.num_special_tokens} \\(the special tokens of a pair\\), found ${maxLength}$`),
        `maxLength ${maxLength} is refused`);
    }
    t.end();
  });
}

test('a TemplateProcessing without a pair template refuses pairs by file name', (t) => {
  const files = readTokenizerFiles('all-MiniLM-L6-v2');
  const json = JSON.parse(files['tokenizer.json']!) as { post_processor: Record<string, unknown> };
  delete json.post_processor.pair;
  const tokenizer = Tokenizer.fromFiles({ ...files, 'tokenizer.json': JSON.stringify(json) }, '/models/m');
  t.deepEqual(Array.from(tokenizer.encode('hello', 8)), [101, 7592, 102], 'single texts still encode');
  t.throws(() => tokenizer.encodePair('a', 'b', 8), /^Error: \/models\/m\/tokenizer\.json: post_processor has no pair template, so it cannot encode a pair of texts$/);
  t.end();
});
