// Request inputs to token ids: texts or token-id arrays as OpenAI, TEI and Ollama send them,
// validated and tokenized exactly as encode() does unless the request asks otherwise.

import type { SentenceModel } from '../encoder.js';
import { nextTurn } from '../runner.js';

/** TEI's error types; each has one HTTP status. */
export type ErrorType = 'validation' | 'empty' | 'tokenizer' | 'overloaded' | 'unhealthy' | 'backend' | 'unauthorized' | 'not_found';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: ErrorType,
  ) {
    super(message);
  }
}

export const invalid = (message: string) => new ApiError(422, message, 'validation');

/** One input: a text, or token ids the caller made (used as they are, special tokens included). */
export type Input = string | number[];

const isIds = (value: unknown): value is number[] => Array.isArray(value) && value.every((id) => typeof id === 'number');

/** A string, an array of strings, an array of ids, or an array of id arrays, as a list of inputs. */
export function inputList(value: unknown, field: string, maxInputs: number): Input[] {
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) throw invalid(`${field} must be a string, an array of strings, an array of token ids or an array of those`);
  if (value.length === 0) throw new ApiError(400, `${field} is empty`, 'empty');
  const inputs: Input[] = isIds(value) ? [value] : value;
  if (inputs.length > maxInputs) throw invalid(`${field} has ${inputs.length} inputs; at most ${maxInputs} are accepted per request`);
  inputs.forEach((input, i) => {
    if (typeof input !== 'string' && !isIds(input)) throw invalid(`${field}[${i}] must be a string or an array of token ids`);
  });
  return inputs;
}

/** A string or an array of strings, as a list of texts (routes that take no token ids). */
export function textList(value: unknown, field: string, maxInputs: number): string[] {
  const inputs = inputList(value, field, maxInputs);
  if (inputs.some((input) => typeof input !== 'string')) throw invalid(`${field} must be a string or an array of strings`);
  return inputs as string[];
}

export interface Truncation {
  /** Cut inputs longer than the model's max_seq_length instead of refusing them. */
  truncate: boolean;
  /** Which end loses tokens. */
  direction: 'right' | 'left';
}

/** encode()'s own truncation: the end of a long text is dropped. */
export const AS_ENCODE: Truncation = { truncate: true, direction: 'right' };

// tokenizing a request of thousands of texts would hold the event loop for tens of milliseconds
const TEXTS_PER_TURN = 64;

/** Token ids of every input, checked against the model's vocabulary and max_seq_length. */
export async function tokenizeInputs(model: SentenceModel, inputs: Input[], truncation: Truncation, field: string): Promise<Int32Array[]> {
  const sequences: Int32Array[] = [];
  for (const [i, input] of inputs.entries()) {
    sequences.push(typeof input === 'string' ? tokenizeText(model, input, truncation, `${field}[${i}]`) : checkIds(model, input, truncation, `${field}[${i}]`));
    if (sequences.length % TEXTS_PER_TURN === 0) await nextTurn();
  }
  return sequences;
}

function tooLong(model: SentenceModel, field: string, length: number): ApiError {
  return invalid(`${field} has ${length} tokens, more than the model's max_seq_length ${model.maxSeqLength}; send truncate: true to cut it`);
}

function tokenizeText(model: SentenceModel, text: string, truncation: Truncation, field: string): Int32Array {
  if (truncation.truncate && truncation.direction === 'right') return model.tokenize(text);
  const max = model.maxSeqLength;
  if (!truncation.truncate) {
    // one token over the limit is enough to know the text does not fit
    const ids = model.tokenize(text, max + 1);
    if (ids.length > max) throw tooLong(model, field, ids.length);
    return ids;
  }
  const ids = model.tokenize(text, Number.MAX_SAFE_INTEGER);
  if (ids.length <= max) return ids;
  // left truncation keeps the special tokens and the last content tokens, as `tokenizers` does:
  // the prefix ([CLS]), then the tail, which ends in the suffix ([SEP])
  const { prefix } = model.tokens.specialTokenCounts;
  const kept = new Int32Array(max);
  kept.set(ids.subarray(0, prefix), 0);
  kept.set(ids.subarray(ids.length - (max - prefix)), prefix);
  return kept;
}

function checkIds(model: SentenceModel, ids: number[], truncation: Truncation, field: string): Int32Array {
  if (ids.length === 0) throw new ApiError(400, `${field} has no token ids`, 'empty');
  const vocabSize = model.vocabSize;
  const bad = ids.findIndex((id) => !Number.isInteger(id) || id < 0 || id >= vocabSize);
  if (bad >= 0) throw invalid(`${field}[${bad}] is ${ids[bad]}, not a token id of this model (0 to ${vocabSize - 1})`);
  const max = model.maxSeqLength;
  if (ids.length <= max) return Int32Array.from(ids);
  if (!truncation.truncate) throw tooLong(model, field, ids.length);
  return Int32Array.from(truncation.direction === 'right' ? ids.slice(0, max) : ids.slice(ids.length - max));
}

/** Optional field of a type, or undefined; anything else is a validation error. */
export function optional<T>(body: Record<string, unknown>, field: string, check: (value: unknown) => value is T, expected: string): T | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!check(value)) throw invalid(`${field} must be ${expected}`);
  return value;
}

export const isBoolean = (value: unknown): value is boolean => typeof value === 'boolean';
export const isString = (value: unknown): value is string => typeof value === 'string';
export const isPositiveInteger = (value: unknown): value is number => Number.isInteger(value) && (value as number) > 0;
