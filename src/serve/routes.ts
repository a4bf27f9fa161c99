// The routes, each with the request and response shapes of the server it imitates:
// OpenAI's /v1/embeddings and /v1/models, text-embeddings-inference's /embed, /similarity,
// /tokenize, /health, /info, /metrics, and Ollama's /api/embed.

import type { SentenceModel } from '../encoder.js';
import { normalizeL2 } from '../pooling.js';
import {
  AS_ENCODE, ApiError, inputList, invalid, isBoolean, isPositiveInteger, isString, optional, textList, tokenizeInputs, type Input, type Truncation,
} from './inputs.js';
import type { EmbeddingQueue } from './queue.js';

/** A model the server answers for, by the id requests name it with. */
export interface ServedModel {
  id: string;
  model: SentenceModel;
  queue: EmbeddingQueue;
}

export interface RouteContext {
  /** The parsed JSON body of a POST; {} for a GET. */
  body: Record<string, unknown>;
  /** Aborts when the client goes away. */
  signal: AbortSignal;
  /** The model a request names, or the first; ApiError 404 for a name the server does not serve. */
  resolve(name: string | undefined): ServedModel;
  models: readonly ServedModel[];
  maxClientBatchSize: number;
  info(): Record<string, unknown>;
  metrics(): string;
}

export interface RouteResult {
  body: unknown;
  /** Set for a body that is text rather than JSON. */
  contentType?: string;
  inputs?: number;
  tokens?: number;
}

/** Whose error shape a route answers with. */
export type Family = 'openai' | 'tei' | 'ollama';

export interface Route {
  family: Family;
  /** Answered with 503 until the models have loaded. */
  needsModels: boolean;
  /** Holds one of the --max-concurrent-requests places while it runs. */
  admitted: boolean;
  /** Answered without the API key, as TEI answers its probes (/health, /metrics). */
  open?: boolean;
  handle(context: RouteContext): Promise<RouteResult>;
}

/** Vector of a response: cut to `dimensions`, then brought to unit length if asked; never changed otherwise. */
function shaped(model: SentenceModel, vector: Float32Array, normalize: boolean, dimensions: number | undefined): Float32Array {
  const cut = dimensions !== undefined && dimensions < vector.length;
  if (!cut && (!normalize || model.normalizes)) return vector;
  const result = vector.slice(0, dimensions);
  if (normalize) normalizeL2(result);
  return result;
}

function checkDimensions(model: SentenceModel, dimensions: number | undefined): void {
  if (dimensions !== undefined && dimensions > model.dimension) {
    throw invalid(`dimensions ${dimensions} is more than the model's ${model.dimension}`);
  }
}

/** The model the body's `model` names (any route may name one), else the first. */
function namedModel(context: RouteContext): ServedModel {
  return context.resolve(optional(context.body, 'model', isString, 'a string'));
}

async function embedInputs(context: RouteContext, served: ServedModel, inputs: Input[], truncation: Truncation, field: string) {
  const sequences = await tokenizeInputs(served.model, inputs, truncation, field);
  const vectors = await served.queue.embed(sequences, context.signal);
  return { vectors, tokens: sequences.reduce((sum, ids) => sum + ids.length, 0) };
}

/** TEI's truncate and truncation_direction ('Right'/'Left', any case). */
function teiTruncation(body: Record<string, unknown>): Truncation {
  const truncate = optional(body, 'truncate', isBoolean, 'a boolean') ?? false;
  const direction = optional(body, 'truncation_direction', isString, "'Right' or 'Left'")?.toLowerCase() ?? 'right';
  if (direction !== 'right' && direction !== 'left') throw invalid("truncation_direction must be 'Right' or 'Left'");
  return { truncate, direction };
}

function refusePromptName(body: Record<string, unknown>): void {
  if (body.prompt_name !== undefined && body.prompt_name !== null) {
    throw invalid(`prompt_name ${JSON.stringify(body.prompt_name)}: this model has no prompts`);
  }
}

const float32Base64 = (vector: Float32Array) => Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64');

async function openaiEmbeddings(context: RouteContext): Promise<RouteResult> {
  const { body } = context;
  const served = namedModel(context);
  const inputs = inputList(body.input, 'input', context.maxClientBatchSize);
  const format = optional(body, 'encoding_format', isString, "'float' or 'base64'") ?? 'float';
  if (format !== 'float' && format !== 'base64') throw invalid(`encoding_format must be 'float' or 'base64', got ${JSON.stringify(format)}`);
  const dimensions = optional(body, 'dimensions', isPositiveInteger, 'a positive integer');
  checkDimensions(served.model, dimensions);
  const { vectors, tokens } = await embedInputs(context, served, inputs, AS_ENCODE, 'input');
  const data = vectors.map((vector, index) => {
    const embedding = shaped(served.model, vector, served.model.normalizes, dimensions);
    return { object: 'embedding', index, embedding: format === 'base64' ? float32Base64(embedding) : Array.from(embedding) };
  });
  return {
    body: { object: 'list', data, model: served.id, usage: { prompt_tokens: tokens, total_tokens: tokens } },
    inputs: inputs.length,
    tokens,
  };
}

async function openaiModels(context: RouteContext): Promise<RouteResult> {
  const data = context.models.map(({ id }) => ({ id, object: 'model', created: 0, owned_by: 'sentvec' }));
  return { body: { object: 'list', data } };
}

async function teiEmbed(context: RouteContext): Promise<RouteResult> {
  const { body } = context;
  refusePromptName(body);
  const served = namedModel(context);
  const inputs = inputList(body.inputs, 'inputs', context.maxClientBatchSize);
  const normalize = optional(body, 'normalize', isBoolean, 'a boolean') ?? true;
  const dimensions = optional(body, 'dimensions', isPositiveInteger, 'a positive integer');
  checkDimensions(served.model, dimensions);
  const { vectors, tokens } = await embedInputs(context, served, inputs, teiTruncation(body), 'inputs');
  return {
    body: vectors.map((vector) => Array.from(shaped(served.model, vector, normalize, dimensions))),
    inputs: inputs.length,
    tokens,
  };
}

async function teiSimilarity(context: RouteContext): Promise<RouteResult> {
  const { body } = context;
  refusePromptName(body);
  const served = namedModel(context);
  const pair = body.inputs as Record<string, unknown> | undefined;
  if (typeof pair !== 'object' || pair === null || Array.isArray(pair)) throw invalid('inputs must be an object with source_sentence and sentences');
  if (typeof pair.source_sentence !== 'string') throw invalid('inputs.source_sentence must be a string');
  const sentences = textList(pair.sentences, 'inputs.sentences', context.maxClientBatchSize - 1);
  const { vectors, tokens } = await embedInputs(context, served, [pair.source_sentence, ...sentences], teiTruncation(body), 'inputs');
  const [source, ...others] = vectors;
  return { body: others.map((vector) => served.model.similarity(source, vector)), inputs: vectors.length, tokens };
}

async function teiTokenize(context: RouteContext): Promise<RouteResult> {
  const { body } = context;
  refusePromptName(body);
  const { model } = namedModel(context);
  const texts = textList(body.inputs, 'inputs', context.maxClientBatchSize);
  const addSpecial = optional(body, 'add_special_tokens', isBoolean, 'a boolean') ?? true;
  const { prefix, suffix } = model.tokens.specialTokenCounts;
  let tokens = 0;
  const result = texts.map((text) => {
    const ids = Array.from(model.tokenize(text));
    tokens += ids.length;
    // TEI's SimpleToken; sentvec's tokenizer keeps no character offsets, so start and stop are null
    return ids
      .map((id, i) => ({ id, text: model.tokens.tokenText(id), special: i < prefix || i >= ids.length - suffix, start: null, stop: null }))
      .filter((token) => addSpecial || !token.special);
  });
  return { body: result, inputs: texts.length, tokens };
}

async function teiInfo(context: RouteContext): Promise<RouteResult> {
  return { body: context.info() };
}

async function health(): Promise<RouteResult> {
  return { body: '', contentType: 'text/plain' };
}

async function metrics(context: RouteContext): Promise<RouteResult> {
  return { body: context.metrics(), contentType: 'text/plain; version=0.0.4' };
}

async function ollamaEmbed(context: RouteContext): Promise<RouteResult> {
  const { body } = context;
  const started = process.hrtime.bigint();
  const served = namedModel(context);
  const inputs = textList(body.input, 'input', context.maxClientBatchSize);
  const truncate = optional(body, 'truncate', isBoolean, 'a boolean') ?? true;
  const dimensions = optional(body, 'dimensions', isPositiveInteger, 'a positive integer');
  checkDimensions(served.model, dimensions);
  const { vectors, tokens } = await embedInputs(context, served, inputs, { truncate, direction: 'right' }, 'input');
  return {
    body: {
      model: served.id,
      // Ollama's /api/embed returns unit vectors whatever the model
      embeddings: vectors.map((vector) => Array.from(shaped(served.model, vector, true, dimensions))),
      total_duration: Number(process.hrtime.bigint() - started),
      load_duration: 0,
      prompt_eval_count: tokens,
    },
    inputs: inputs.length,
    tokens,
  };
}

export const ROUTES: Record<string, Route> = {
  'POST /v1/embeddings': { family: 'openai', needsModels: true, admitted: true, handle: openaiEmbeddings },
  'GET /v1/models': { family: 'openai', needsModels: true, admitted: false, handle: openaiModels },
  'POST /embed': { family: 'tei', needsModels: true, admitted: true, handle: teiEmbed },
  // TEI answers POST / as the model's own task, which is how Inference Endpoints clients call it
  'POST /': { family: 'tei', needsModels: true, admitted: true, handle: teiEmbed },
  'POST /similarity': { family: 'tei', needsModels: true, admitted: true, handle: teiSimilarity },
  'POST /tokenize': { family: 'tei', needsModels: true, admitted: true, handle: teiTokenize },
  'GET /health': { family: 'tei', needsModels: true, admitted: false, open: true, handle: health },
  'GET /info': { family: 'tei', needsModels: true, admitted: false, handle: teiInfo },
  'GET /metrics': { family: 'tei', needsModels: false, admitted: false, open: true, handle: metrics },
  'POST /api/embed': { family: 'ollama', needsModels: true, admitted: true, handle: ollamaEmbed },
};

/** An error body in the shape the route's original returns. */
export function errorBody(family: Family, error: ApiError): unknown {
  switch (family) {
    case 'openai':
      return { error: { message: error.message, type: error.status >= 500 ? 'server_error' : 'invalid_request_error', param: null, code: error.type } };
    case 'ollama':
      return { error: error.message };
    case 'tei':
      return { error: error.message, error_type: error.type };
  }
}

