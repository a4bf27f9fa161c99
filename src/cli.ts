#!/usr/bin/env node
// sentvec embed|tokenize --model DIR [--backend NAME] [--input FILE] [--batch-size N]
// Reads one text per line (stdin or --input), writes one JSON array per line to stdout.
// sentvec bench …: src/bench/main.ts.

import fs from 'node:fs';
import { load } from './load.js';

const USAGE = `usage: sentvec embed --model DIR [--backend native|wasm|js] [--input FILE] [--batch-size N]
       sentvec tokenize --model DIR [--input FILE]
       sentvec bench [--model DIR] [--json] …   (sentvec bench --help)
Reads one text per line from stdin (or --input FILE) and writes one JSON array per line:
the sentence vector (embed) or the token ids (tokenize).`;

class UsageError extends Error {}

interface Arguments {
  command: 'embed' | 'tokenize';
  model: string;
  backend?: string;
  input?: string;
  batchSize: number;
}

function parseArguments(argv: string[]): Arguments {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (command !== 'embed' && command !== 'tokenize') {
    throw new UsageError(command === undefined ? 'missing command (embed or tokenize)' : `unknown command '${command}'`);
  }
  const flags: Record<string, string> = {};
  const allowed = command === 'embed' ? ['--model', '--backend', '--input', '--batch-size'] : ['--model', '--input'];
  for (let i = 0; i < rest.length; i += 2) {
    const flag = rest[i];
    if (!allowed.includes(flag)) throw new UsageError(`unknown flag '${flag}' for ${command}`);
    if (rest[i + 1] === undefined) throw new UsageError(`${flag} needs a value`);
    flags[flag] = rest[i + 1];
  }
  if (flags['--model'] === undefined) throw new UsageError('--model DIR is required');
  const batchSize = Number(flags['--batch-size'] ?? 32);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new UsageError(`--batch-size must be a positive integer, got '${flags['--batch-size']}'`);
  return { command, model: flags['--model'], backend: flags['--backend'], input: flags['--input'], batchSize };
}

async function readLines(input: string | undefined): Promise<string[]> {
  let text: string;
  try {
    if (input !== undefined) {
      text = await fs.promises.readFile(input, 'utf8');
    } else {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      text = Buffer.concat(chunks).toString('utf8');
    }
  } catch (error) {
    throw new Error(`cannot read ${input ?? 'stdin'}: ${(error as Error).message}`);
  }
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

async function main(): Promise<void> {
  if (process.argv[2] === 'bench') return (await import('./bench/main.js')).benchMain(process.argv.slice(3));
  const args = parseArguments(process.argv.slice(2));
  const model = await load(args.model, { backend: args.backend });
  const texts = await readLines(args.input);
  if (args.command === 'tokenize') {
    for (const text of texts) process.stdout.write(`${JSON.stringify(Array.from(model.tokenize(text)))}\n`);
    return;
  }
  // Bounded chunks keep memory flat for long inputs while each chunk still batches well.
  const chunk = args.batchSize * 16;
  for (let start = 0; start < texts.length; start += chunk) {
    const vectors = await model.encode(texts.slice(start, start + chunk), { batchSize: args.batchSize });
    process.stdout.write(vectors.map((vector) => JSON.stringify(Array.from(vector))).join('\n') + '\n');
  }
}

main().catch((error: Error) => {
  process.stderr.write(`sentvec: ${error.message.split('\n')[0]}${error instanceof UsageError ? ` (sentvec --help for usage)` : ''}\n`);
  process.exit(error instanceof UsageError ? 2 : 1);
});
