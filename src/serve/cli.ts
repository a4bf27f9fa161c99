// sentvec serve: flags to ServeOptions, then serve until SIGTERM or SIGINT.

import { serve, type EmbeddingServer, type ServeOptions } from './server.js';

export const SERVE_USAGE = `usage: sentvec serve --model DIR_OR_REPO [--model …] [--backend native|wasm|js]
         [--host 127.0.0.1] [--port 8080] [--max-batch-tokens 16384] [--max-batch-size 32]
         [--max-concurrent-requests 512] [--max-client-batch-size 2048] [--payload-limit 2000000]
         [--api-key KEY] [--cors ORIGIN] [--shutdown-timeout 30] [--log-format text|json]
Serves OpenAI's POST /v1/embeddings and GET /v1/models, text-embeddings-inference's POST /embed,
/similarity, /tokenize and GET /health, /info, /metrics, and Ollama's POST /api/embed.
The API key may also come from $SENTVEC_API_KEY.`;

class ServeUsageError extends Error {}

const NUMBER_FLAGS = {
  '--port': 'port',
  '--max-batch-tokens': 'maxBatchTokens',
  '--max-batch-size': 'maxBatchSize',
  '--max-concurrent-requests': 'maxConcurrentRequests',
  '--max-client-batch-size': 'maxClientBatchSize',
  '--payload-limit': 'payloadLimit',
  '--shutdown-timeout': 'shutdownTimeout',
} as const;
const STRING_FLAGS = { '--backend': 'backend', '--host': 'host', '--api-key': 'apiKey', '--cors': 'cors' } as const;

export function serveOptions(argv: string[], env: NodeJS.ProcessEnv): ServeOptions {
  const models: string[] = [];
  const options: Record<string, unknown> = { apiKey: env.SENTVEC_API_KEY };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new ServeUsageError(`${flag} needs a value`);
    if (flag === '--model') models.push(value);
    else if (flag === '--log-format') {
      if (value !== 'text' && value !== 'json') throw new ServeUsageError(`--log-format must be text or json, got '${value}'`);
      options.logFormat = value;
    } else if (flag in NUMBER_FLAGS) {
      const number = Number(value);
      if (value.trim() === '' || !Number.isFinite(number) || number < 0) throw new ServeUsageError(`${flag} must be a number, got '${value}'`);
      options[NUMBER_FLAGS[flag as keyof typeof NUMBER_FLAGS]] = number;
    } else if (flag in STRING_FLAGS) options[STRING_FLAGS[flag as keyof typeof STRING_FLAGS]] = value;
    else throw new ServeUsageError(`unknown flag '${flag}' for serve`);
  }
  if (models.length === 0) throw new ServeUsageError('--model DIR_OR_REPO is required (once per model)');
  return { ...options, models };
}

export async function serveCommand(argv: string[]): Promise<void> {
  if (argv[0] === '--help' || argv[0] === '-h') {
    process.stdout.write(`${SERVE_USAGE}\n`);
    return;
  }
  let options: ServeOptions;
  let server: EmbeddingServer;
  try {
    options = serveOptions(argv, process.env);
    server = await serve(options);
  } catch (error) {
    if (!(error instanceof ServeUsageError || error instanceof RangeError)) throw error;
    process.stderr.write(`sentvec: ${error.message} (sentvec serve --help for usage)\n`);
    process.exit(2);
  }
  process.stderr.write(`sentvec serve: listening on ${server.url}, loading ${options.models.length} model(s)\n`);
  const stop = (signal: string) => {
    process.stderr.write(`sentvec serve: ${signal}, finishing requests in flight\n`);
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  try {
    await server.ready;
  } catch (error) {
    await server.close();
    throw error;
  }
  process.stderr.write(`sentvec serve: ready on ${server.url}\n`);
}
