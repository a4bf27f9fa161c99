// sentvec serve: an HTTP embedding server on node:http (no framework: the routes are few, and
// the body limit, backpressure and shutdown rules need the raw request and socket anyway).

import { createHash, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { SentenceModel } from '../encoder.js';
import { load } from '../index.js';
import { ApiError } from './inputs.js';
import { Metrics } from './metrics.js';
import { CancelledError, EmbeddingQueue } from './queue.js';
import { ROUTES, errorBody, type Family, type Route, type RouteResult, type ServedModel } from './routes.js';

export interface ServeOptions {
  /**
   * Models to serve: a folder (or anything load() accepts as a string), named by its last path
   * segment, or a loaded model with its id (the server does not close those). Requests name a
   * model by id; those that name none get the first.
   */
  models: readonly (string | { id: string; model: SentenceModel })[];
  /** Kernel backend for the models loaded from strings. */
  backend?: string;
  /** Default 127.0.0.1: only this machine can connect unless the caller says otherwise. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Most tokens in one forward pass (default 16384). */
  maxBatchTokens?: number;
  /** Most sequences in one forward pass (default 32, encode()'s batch size). */
  maxBatchSize?: number;
  /** Requests admitted at once; more are refused with 429 (default 512). */
  maxConcurrentRequests?: number;
  /** Inputs one request may carry (default 2048, OpenAI's limit). */
  maxClientBatchSize?: number;
  /** Largest request body in bytes (default 2 MB); larger ones get 413. */
  payloadLimit?: number;
  /** Bearer token every request must carry. */
  apiKey?: string;
  /** Origin allowed to call from a browser ('*' for any); no CORS headers without it. */
  cors?: string;
  /** Seconds close() waits for requests in flight before dropping their connections (default 30). */
  shutdownTimeout?: number;
  /** One line per request: 'text' (default) or 'json'. */
  logFormat?: 'text' | 'json';
  /** Where log lines go (default stdout); null for none. */
  log?: ((line: string) => void) | null;
}

export interface EmbeddingServer {
  /** http://host:port of the listening server. */
  readonly url: string;
  /** Resolves once every model has loaded (before that /health answers 503); rejects if one fails. */
  readonly ready: Promise<void>;
  /** Stops accepting connections, finishes the requests in flight (up to shutdownTimeout), closes the models it loaded. */
  close(): Promise<void>;
}

const DEFAULTS = {
  host: '127.0.0.1',
  port: 8080,
  maxBatchTokens: 16384,
  maxBatchSize: 32,
  maxConcurrentRequests: 512,
  maxClientBatchSize: 2048,
  payloadLimit: 2_000_000,
  shutdownTimeout: 30,
};

// A body over the limit is still read to its end (up to this much) so the client, which is
// still sending, reads the 413 rather than a reset connection.
const DRAIN_LIMIT = 64_000_000;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function checkOptions(options: ServeOptions): Required<Pick<ServeOptions, keyof typeof DEFAULTS>> {
  const settled = { ...DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) };
  for (const name of ['maxBatchTokens', 'maxBatchSize', 'maxConcurrentRequests', 'maxClientBatchSize', 'payloadLimit'] as const) {
    if (!Number.isInteger(settled[name]) || settled[name] < 1) throw new RangeError(`serve: ${name} must be a positive integer, got ${settled[name]}`);
  }
  if (!Number.isInteger(settled.port) || settled.port < 0 || settled.port > 65535) throw new RangeError(`serve: port must be 0 to 65535, got ${settled.port}`);
  if (!(settled.shutdownTimeout >= 0)) throw new RangeError(`serve: shutdownTimeout must be a number of seconds ≥ 0, got ${settled.shutdownTimeout}`);
  if (!Array.isArray(options.models) || options.models.length === 0) throw new TypeError('serve: models must name at least one model');
  return settled;
}

/** The id a request names a model by: a folder's last segment, or the string as given (a repo id). */
function modelId(model: string): string {
  return fs.existsSync(model) ? path.basename(path.resolve(model)) : model;
}

function packageVersion(): string {
  try {
    return JSON.parse(fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')).version;
  } catch {
    return 'unknown';
  }
}

const digest = (text: string) => createHash('sha256').update(text).digest();

function familyOf(pathname: string): Family {
  if (pathname.startsWith('/v1/')) return 'openai';
  if (pathname.startsWith('/api/')) return 'ollama';
  return 'tei';
}

/** The request body as a JSON object, read under the size limit. */
function readJson(request: http.IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length']);
    const tooLarge = () => new ApiError(413, `request body is larger than the ${limit}-byte payload limit`, 'validation');
    if (declared > DRAIN_LIMIT) return reject(tooLarge());
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else if (size > DRAIN_LIMIT) request.destroy();
    });
    request.on('error', reject);
    request.on('end', () => {
      if (size > limit) return reject(tooLarge());
      let text: string;
      try {
        text = utf8.decode(Buffer.concat(chunks));
      } catch {
        return reject(new ApiError(400, 'request body is not valid UTF-8', 'validation'));
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (error) {
        return reject(new ApiError(400, `request body is not valid JSON: ${(error as Error).message}`, 'validation'));
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return reject(new ApiError(422, 'request body must be a JSON object', 'validation'));
      resolve(body as Record<string, unknown>);
    });
  });
}

/** Starts listening at once; the models load behind it (see EmbeddingServer.ready). */
export async function serve(options: ServeOptions): Promise<EmbeddingServer> {
  const settings = checkOptions(options);
  const apiKey = options.apiKey === undefined || options.apiKey === '' ? undefined : digest(options.apiKey);
  const logFormat = options.logFormat ?? 'text';
  if (logFormat !== 'text' && logFormat !== 'json') throw new RangeError(`serve: logFormat must be 'text' or 'json', got '${logFormat}'`);
  const log = options.log === undefined ? (line: string) => process.stdout.write(`${line}\n`) : options.log;

  const served: ServedModel[] = [];
  const owned: SentenceModel[] = [];
  let loaded = false;
  let shuttingDown = false;
  let admitted = 0;
  let active = 0;
  const idle: (() => void)[] = [];
  const metrics = new Metrics(() => ({ queueDepth: served.reduce((sum, { queue }) => sum + queue.depth, 0), requestsInFlight: admitted }));
  const limits = { maxBatchTokens: settings.maxBatchTokens, maxBatchSize: settings.maxBatchSize };

  const info = () => ({
    model_id: served[0]?.id,
    model_sha: null,
    model_dtype: 'float32',
    max_concurrent_requests: settings.maxConcurrentRequests,
    max_input_length: served[0]?.model.maxSeqLength,
    max_batch_tokens: settings.maxBatchTokens,
    max_batch_requests: settings.maxBatchSize,
    max_client_batch_size: settings.maxClientBatchSize,
    auto_truncate: false,
    tokenization_workers: 0,
    version: packageVersion(),
    models: served.map(({ id, model }) => ({ id, dimension: model.dimension, max_input_length: model.maxSeqLength, backend: model.backend, normalized: model.normalizes })),
  });

  const resolveModel = (name: string | undefined): ServedModel => {
    if (name === undefined || name === '') return served[0];
    const found = served.find((entry) => entry.id === name);
    if (found === undefined) throw new ApiError(404, `model '${name}' is not served here (served: ${served.map(({ id }) => id).join(', ')})`, 'not_found');
    return found;
  };

  const authorized = (request: http.IncomingMessage): boolean => {
    if (apiKey === undefined) return true;
    const header = request.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    // comparing digests keeps the time independent of where the strings differ, and of their lengths
    return timingSafeEqual(digest(token), apiKey);
  };

  const writeLog = (method: string, route: string, status: number, inputs: number, tokens: number, ms: number) => {
    if (log === null) return;
    const time = new Date().toISOString();
    log(logFormat === 'json'
      ? JSON.stringify({ time, method, route, status, inputs, tokens, ms: Math.round(ms * 10) / 10 })
      : `${time} ${method} ${route} ${status} inputs=${inputs} tokens=${tokens} ${ms.toFixed(1)}ms`);
  };

  async function handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const started = performance.now();
    const method = request.method ?? 'GET';
    const pathname = new URL(request.url ?? '/', 'http://localhost').pathname;
    const family = familyOf(pathname);
    const route: Route | undefined = ROUTES[`${method} ${pathname}`];
    const routeName = route ? pathname : 'unmatched';
    const abort = new AbortController();
    response.on('close', () => {
      if (!response.writableFinished) abort.abort();
    });
    if (options.cors !== undefined) {
      response.setHeader('Access-Control-Allow-Origin', options.cors);
      response.setHeader('Vary', 'Origin');
    }
    if (shuttingDown) response.setHeader('Connection', 'close');

    let result: RouteResult = { body: null };
    let status = 200;
    let holdsPlace = false;
    try {
      if (method === 'OPTIONS' && options.cors !== undefined) {
        response.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
        response.setHeader('Access-Control-Allow-Headers', 'authorization, content-type');
        status = 204;
        result = { body: '', contentType: 'text/plain' };
        return;
      }
      if (route === undefined) {
        const known = Object.keys(ROUTES).some((key) => key.endsWith(` ${pathname}`));
        throw new ApiError(known ? 405 : 404, known ? `${method} is not allowed on ${pathname}` : `no route ${pathname}`, 'not_found');
      }
      if (!route.open && !authorized(request)) throw new ApiError(401, 'missing or wrong API key (Authorization: Bearer KEY)', 'unauthorized');
      if (shuttingDown) throw new ApiError(503, 'the server is shutting down', 'unhealthy');
      if (route.needsModels && !loaded) throw new ApiError(503, 'the models are still loading', 'unhealthy');
      if (route.admitted) {
        if (admitted >= settings.maxConcurrentRequests) throw new ApiError(429, `more than ${settings.maxConcurrentRequests} requests at once; retry later`, 'overloaded');
        admitted++;
        holdsPlace = true;
      }
      const body = method === 'POST' ? await readJson(request, settings.payloadLimit) : {};
      result = await route.handle({
        body,
        signal: abort.signal,
        resolve: resolveModel,
        models: served,
        maxClientBatchSize: settings.maxClientBatchSize,
        info,
        metrics: () => metrics.text(),
      });
    } catch (error) {
      // 499, nginx's 'client closed request', for the log and metrics: no one reads a response
      if (error instanceof CancelledError || abort.signal.aborted) {
        status = 499;
        return;
      }
      const apiError = error instanceof ApiError ? error : new ApiError(424, `inference failed: ${(error as Error).message}`, 'backend');
      status = apiError.status;
      result = { body: errorBody(family, apiError) };
      if (status === 413) response.setHeader('Connection', 'close');
    } finally {
      if (holdsPlace) admitted--;
      if (!abort.signal.aborted && !response.headersSent) {
        const text = typeof result.body === 'string' && result.contentType ? result.body : JSON.stringify(result.body);
        response.writeHead(status, { 'Content-Type': result.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(text) });
        response.end(text);
      }
      const ms = performance.now() - started;
      metrics.request(routeName, status, ms / 1000);
      writeLog(method, pathname, status, result.inputs ?? 0, result.tokens ?? 0, ms);
    }
  }

  const server = http.createServer((request, response) => {
    active++;
    response.on('close', () => {
      if (--active === 0) idle.splice(0).forEach((wake) => wake());
    });
    void handle(request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // Node's default accept backlog (511) resets connections when a burst of clients connect at
    // once; the kernel caps this at net.core.somaxconn
    server.listen({ port: settings.port, host: settings.host, backlog: 4096 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;

  const ready = (async () => {
    const ids = new Set<string>();
    for (const entry of options.models) {
      const id = typeof entry === 'string' ? modelId(entry) : entry.id;
      if (ids.has(id)) throw new Error(`serve: two models have the id '${id}'; requests could not tell them apart`);
      ids.add(id);
      let model: SentenceModel;
      if (typeof entry === 'string') {
        model = await load(entry, { backend: options.backend });
        owned.push(model);
      } else {
        model = entry.model;
      }
      served.push({ id, model, queue: new EmbeddingQueue(model, limits, metrics) });
    }
    loaded = true;
  })();
  ready.catch(() => {});

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      shuttingDown = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (active > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((resolve) => idle.push(resolve)),
          new Promise<void>((resolve) => (timer = setTimeout(resolve, settings.shutdownTimeout * 1000))),
        ]);
        clearTimeout(timer);
      }
      server.closeAllConnections();
      await stopped;
      await ready.catch(() => {});
      await Promise.all(owned.map((model) => model.close()));
    })());

  return { url, ready, close };
}
