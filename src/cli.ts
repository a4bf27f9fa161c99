#!/usr/bin/env node
// sentvec info: which backend runs here, and why the ones before it were passed over.
// sentvec embed|tokenize|download: reads one text per line and streams one result per line, in
// input order and in constant memory, whatever the input's size. sentvec quantize: quantize.ts;
// sentvec serve …: src/serve/; sentvec bench …: src/bench/main.ts.

import fs from 'node:fs';
import readline from 'node:readline';
import { backendReport, download, load, quantize, type DownloadProgress, type Dtype } from './index.js';
import { formatBytes, progressBar } from './progress-bar.js';
import { FORMATS, openVectorOutput, type VectorFormat } from './vector-output.js';

const DEFAULT_MODEL = 'sentence-transformers/all-MiniLM-L6-v2';

const USAGE = `usage: sentvec embed [--model NAME|DIR] [--revision R] [--backend native|wasm|js] [--dtype fp32|int8]
                    [--input FILE] [--output FILE] [--format jsonl|npy|f32] [--batch-size N]
                    [--prompt TEXT | --prompt-name NAME] [--truncate-dim N]
       sentvec tokenize [--model NAME|DIR] [--revision R] [--input FILE]
       sentvec download NAME [--revision R]
       sentvec quantize --model NAME|DIR --out DIR [--force]
       sentvec serve [--model NAME|DIR]… [--port 8080] … (sentvec serve --help)
       sentvec bench [--model NAME|DIR] [--json] …    (sentvec bench --help)
       sentvec info [--backend native|wasm|js]
Reads one text per line from stdin (or --input FILE) and writes, in input order, the sentence
vectors (embed: one JSON array per line, or a float32 .npy matrix, or raw float32 rows) or the
token ids (tokenize: one JSON array per line). A model is a folder or a Hugging Face repo id,
fetched into the hub cache on first use (default ${DEFAULT_MODEL}); download fetches one and
prints its snapshot folder; quantize writes a copy of the model whose Linear weights are int8
(4× smaller; loaded as int8); info prints the backend load() picks here, the native addon's file,
and why each place looked at before it was passed over. --prompt puts TEXT before every text,
--prompt-name one of the model's prompts (default: the model's default prompt, if any);
--truncate-dim N keeps the first N values of every vector. A progress bar shows on stderr when it
is a terminal.`;

class UsageError extends Error {}

const COMMANDS = {
  embed: ['--model', '--revision', '--backend', '--dtype', '--input', '--output', '--format', '--batch-size', '--prompt', '--prompt-name',
    '--truncate-dim'],
  tokenize: ['--model', '--revision', '--input'],
  download: ['--revision'],
  quantize: ['--model', '--revision', '--out', '--force'],
  info: ['--backend'],
} as const;
// flags that take no value
const SWITCHES: readonly string[] = ['--force'];
type Command = keyof typeof COMMANDS;

interface Arguments {
  command: Command;
  model: string;
  revision?: string;
  backend?: string;
  dtype?: Dtype;
  input?: string;
  output?: string;
  out?: string;
  force: boolean;
  format: VectorFormat;
  batchSize: number;
  prompt?: string;
  promptName?: string;
  truncateDim?: number;
}

function parseArguments(argv: string[]): Arguments {
  let [command, ...rest] = argv;
  if (command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (!Object.hasOwn(COMMANDS, command ?? '')) {
    throw new UsageError(command === undefined ? 'missing command (embed, tokenize, download, quantize, serve, bench or info)' : `unknown command '${command}'`);
  }
  const flags: Record<string, string> = {};
  if (command === 'download') {
    if (rest[0] === undefined || rest[0].startsWith('--')) throw new UsageError('download needs a model name: sentvec download ORG/NAME');
    flags['--model'] = rest[0];
    rest = rest.slice(1);
  }
  const allowed: readonly string[] = COMMANDS[command as Command];
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    if (!allowed.includes(flag)) throw new UsageError(`unknown flag '${flag}' for ${command}`);
    if (SWITCHES.includes(flag)) {
      flags[flag] = 'true';
      continue;
    }
    if (rest[i + 1] === undefined) throw new UsageError(`${flag} needs a value`);
    flags[flag] = rest[++i];
  }
  if (command === 'quantize' && (flags['--model'] === undefined || flags['--out'] === undefined)) {
    throw new UsageError('quantize needs --model and --out: sentvec quantize --model DIR --out DIR');
  }
  const batchSize = Number(flags['--batch-size'] ?? 32);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new UsageError(`--batch-size must be a positive integer, got '${flags['--batch-size']}'`);
  const truncateDim = flags['--truncate-dim'] === undefined ? undefined : Number(flags['--truncate-dim']);
  if (truncateDim !== undefined && !(Number.isInteger(truncateDim) && truncateDim >= 1)) {
    throw new UsageError(`--truncate-dim must be a positive integer, got '${flags['--truncate-dim']}'`);
  }
  if (flags['--prompt'] !== undefined && flags['--prompt-name'] !== undefined) throw new UsageError('give --prompt or --prompt-name, not both');
  const format = (flags['--format'] ?? 'jsonl') as VectorFormat;
  if (!FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, got '${format}'`);
  return {
    command: command as Command,
    model: flags['--model'] ?? DEFAULT_MODEL,
    revision: flags['--revision'],
    backend: flags['--backend'],
    dtype: flags['--dtype'] as Dtype | undefined,
    input: flags['--input'],
    output: flags['--output'],
    out: flags['--out'],
    force: flags['--force'] !== undefined,
    format,
    batchSize,
    prompt: flags['--prompt'],
    promptName: flags['--prompt-name'],
    truncateDim,
  };
}

/** A byte bar over every file a download fetches; silent when stderr is no terminal. */
function downloadBar(): { onProgress: (progress: DownloadProgress) => void; finish: () => void } {
  const bar = progressBar('', formatBytes);
  const files = new Map<string, DownloadProgress>();
  let shown = false;
  return {
    onProgress(progress) {
      files.set(progress.file, progress);
      let loaded = 0;
      let total = 0;
      for (const file of files.values()) {
        loaded += file.loaded;
        total += file.total;
      }
      shown = true;
      bar.update(loaded, total > 0 ? loaded / total : undefined);
    },
    finish: () => shown && bar.finish(),
  };
}

interface Lines {
  lines: AsyncIterable<string>;
  /** Fraction of the input read so far, when its size is known (a file, or stdin redirected from one). */
  fraction(): number | undefined;
}

/** Opens the input now, so a bad path fails before the model loads; reads it once iterated. */
function readLines(input: string | undefined): Lines {
  let fd: number;
  try {
    fd = input === undefined ? 0 : fs.openSync(input, 'r');
  } catch (error) {
    throw new Error(`cannot read ${input}: ${(error as Error).message}`);
  }
  const stat = fs.fstatSync(fd);
  let bytes = 0;
  return {
    lines: (async function* () {
      const stream = input === undefined ? process.stdin : fs.createReadStream('', { fd });
      stream.on('data', (chunk: Buffer) => (bytes += chunk.length));
      try {
        yield* readline.createInterface({ input: stream, crlfDelay: Infinity });
      } catch (error) {
        throw new Error(`cannot read ${input ?? 'stdin'}: ${(error as Error).message}`);
      }
    })(),
    fraction: () => (stat.isFile() && stat.size > 0 ? bytes / stat.size : undefined),
  };
}

/** Groups lines into chunks of `size`: memory stays flat while each chunk still batches well. */
async function* chunks(lines: AsyncIterable<string>, size: number): AsyncGenerator<string[]> {
  let chunk: string[] = [];
  for await (const line of lines) {
    chunk.push(line);
    if (chunk.length === size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

async function main(): Promise<void> {
  if (process.argv[2] === 'serve') return (await import('./serve/cli.js')).serveCommand(process.argv.slice(3));
  if (process.argv[2] === 'bench') return (await import('./bench/main.js')).benchMain(process.argv.slice(3));
  const args = parseArguments(process.argv.slice(2));
  if (args.command === 'info') {
    const report = await backendReport(args.backend);
    process.stdout.write(`backend: ${report.backend}\n${report.addon ? `addon: ${report.addon}\n` : ''}` +
      report.skipped.map((reason) => `skipped: ${reason}\n`).join(''));
    return;
  }
  const fetching = downloadBar();
  const hub = { revision: args.revision, onProgress: fetching.onProgress };
  if (args.command === 'download') {
    const snapshot = await download(args.model, hub).finally(fetching.finish);
    process.stdout.write(`${snapshot.dir}\n`);
    return;
  }
  if (args.command === 'quantize') {
    const src = fs.existsSync(args.model) ? args.model : (await download(args.model, hub).finally(fetching.finish)).dir;
    const summary = await quantize(src, args.out!, { force: args.force });
    process.stdout.write(`${args.out}: ${summary.linearWeights} Linear weights as int8, model.safetensors ` +
      `${formatBytes(summary.bytes)} (from ${formatBytes(summary.sourceBytes)}), ${summary.copied.length} other files copied\n`);
    return;
  }
  const input = readLines(args.input);
  const model = await load(args.model, { ...hub, backend: args.backend, dtype: args.dtype, truncateDim: args.truncateDim }).finally(fetching.finish);
  try {
    if (args.command === 'tokenize') {
      for await (const text of input.lines) process.stdout.write(`${JSON.stringify(Array.from(model.tokenize(text)))}\n`);
      return;
    }
    const output = await openVectorOutput(args.output, args.format, model.dimension);
    const bar = progressBar('texts');
    let texts = 0;
    for await (const chunk of chunks(input.lines, args.batchSize * 16)) {
      await output.write(await model.encode(chunk, { batchSize: args.batchSize, prompt: args.prompt, promptName: args.promptName }));
      texts += chunk.length;
      bar.update(texts, input.fraction());
    }
    await output.close();
    bar.finish();
  } finally {
    await model.close();
  }
}

// A reader that stops early (sentvec embed … | head -1) is not an error; any other failure to
// write (a full disk) is one line, like every other error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  process.stderr.write(`sentvec: cannot write the output: ${error.message}\n`);
  process.exit(1);
});

main().catch((error: Error) => {
  process.stderr.write(`sentvec: ${error.message.split('\n')[0]}${error instanceof UsageError ? ` (sentvec --help for usage)` : ''}\n`);
  process.exit(error instanceof UsageError ? 2 : 1);
});
