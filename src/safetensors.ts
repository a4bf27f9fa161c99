// Safetensors checkpoints from bytes: header parsing, validation, float32 copies of tensors.
// Format: https://github.com/huggingface/safetensors#format — an 8-byte little-endian header
// length n, n bytes of UTF-8 JSON, then the data section that every data_offsets pair indexes.
// Bytes in, never files, so the same code runs in browsers and edge runtimes.

import { parseJsonText } from './json.js';

export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

export interface TensorInfo {
  name: string;
  dtype: string;
  shape: number[];
  file: string;
  /** Byte range within that file's bytes (not within the data section). */
  begin: number;
  end: number;
}

export interface SafetensorsFile {
  file: string;
  metadata: Record<string, string>;
  tensors: Map<string, TensorInfo>;
  bytes: Uint8Array;
}

// Sub-byte dtypes (F4, F6) are why sizes are kept in bits.
const DTYPE_BITS: Readonly<Record<string, number>> = {
  BOOL: 8, U8: 8, I8: 8, F8_E5M2: 8, F8_E4M3: 8, F8_E8M0: 8, F4: 4, F6_E2M3: 6, F6_E3M2: 6,
  I16: 16, U16: 16, F16: 16, BF16: 16,
  I32: 32, U32: 32, F32: 32,
  I64: 64, U64: 64, F64: 64, C64: 64,
};

/** Bits per element of a dtype, undefined for one the format does not define. */
export function dtypeBits(dtype: string): number | undefined {
  return Object.hasOwn(DTYPE_BITS, dtype) ? DTYPE_BITS[dtype] : undefined;
}

// The limit the reference implementation enforces (safetensors tensor.rs, MAX_HEADER_SIZE).
const MAX_HEADER_BYTES = 100_000_000;

// Short and bounded whatever the value: a header may nest arrays deeply enough to overflow a
// recursive JSON.stringify, and a message should not repeat kilobytes of it.
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const flat = (item: unknown) => item === null || typeof item !== 'object';
  if (Array.isArray(value) && !(value.length <= 8 && value.every(flat))) return `an array of ${value.length} items`;
  if (!flat(value) && !Array.isArray(value)) return 'an object';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
const formatShape = (shape: readonly number[]) => `[${shape.join(', ')}]`;
const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isNonNegativeInteger = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

export function parseSafetensors(bytes: Uint8Array, file: string): SafetensorsFile {
  return { file, ...parseHeader(bytes, file, bytes.length), bytes };
}

/**
 * The bytes a safetensors file needs before its header can be checked: the 8-byte length and the
 * header it declares (at most the size limit), or the whole file when shorter.
 */
export function safetensorsHeadLength(lengthPrefix: Uint8Array, fileLength: number): number {
  if (lengthPrefix.length < 8) return Math.min(fileLength, 8);
  const declared = new DataView(lengthPrefix.buffer, lengthPrefix.byteOffset, 8).getBigUint64(0, true);
  return Math.min(fileLength, 8 + Math.min(Number(declared), MAX_HEADER_BYTES));
}

/**
 * Validates a file of `fileLength` bytes from its first safetensorsHeadLength bytes, before the
 * data is read: a file longer or shorter than its header accounts for is refused unread.
 */
export function checkSafetensorsHeader(head: Uint8Array, file: string, fileLength: number): void {
  parseHeader(head, file, fileLength);
}

/** Header fields of a file of `fileLength` bytes whose first bytes (at least 8 + header length) are `bytes`. */
function parseHeader(bytes: Uint8Array, file: string, fileLength: number): Omit<SafetensorsFile, 'file' | 'bytes'> {
  if (fileLength < 8) {
    throw new SafetensorsError(`${file}: truncated: ${fileLength} bytes, too short for the 8-byte header length`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declaredLength = view.getBigUint64(0, true);
  if (declaredLength > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(`${file}: header length ${declaredLength} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  }
  const headerLength = Number(declaredLength);
  if (8 + headerLength > fileLength) {
    throw new SafetensorsError(
      `${file}: header length ${headerLength} runs past the end of the file (${fileLength} bytes): truncated?`);
  }

  let headerText: string;
  try {
    headerText = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    throw new SafetensorsError(`${file}: header is not valid UTF-8`);
  }
  const header = parseJsonText(headerText, `${file}: header`, SafetensorsError);
  if (!isPlainObject(header)) {
    throw new SafetensorsError(`${file}: header must be a JSON object, found ${Array.isArray(header) ? 'an array' : describe(header)}`);
  }

  const dataStart = 8 + headerLength;
  const dataLength = fileLength - dataStart;
  let metadata: Record<string, string> = {};
  const tensors = new Map<string, TensorInfo>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = parseMetadata(entry, file);
      continue;
    }
    const where = `${file}: tensor "${name}"`;
    if (!isPlainObject(entry)) throw new SafetensorsError(`${where}: entry must be an object, found ${describe(entry)}`);
    const { dtype, shape, data_offsets: offsets } = entry;
    if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_BITS, dtype)) {
      throw new SafetensorsError(`${where}: unknown dtype ${describe(dtype)} (known: ${Object.keys(DTYPE_BITS).join(', ')})`);
    }
    if (!Array.isArray(shape) || !shape.every(isNonNegativeInteger)) {
      throw new SafetensorsError(`${where}: shape must be an array of non-negative integers, found ${describe(shape)}`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeInteger) || offsets[0] > offsets[1]) {
      throw new SafetensorsError(
        `${where}: data_offsets must be two non-negative integers [begin, end] with begin ≤ end, found ${describe(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    const bits = shape.reduce((product: number, size: number) => product * size, DTYPE_BITS[dtype]);
    if (bits % 8 !== 0 || bits / 8 !== end - begin) {
      throw new SafetensorsError(
        `${where}: shape ${formatShape(shape)} of ${dtype} needs ${bits / 8} bytes, but data_offsets [${begin}, ${end}] span ${end - begin}`);
    }
    if (end > dataLength) {
      throw new SafetensorsError(
        `${where}: data_offsets [${begin}, ${end}] run past the end of the ${dataLength}-byte data section: truncated?`);
    }
    tensors.set(name, { name, dtype, shape, file, begin: dataStart + begin, end: dataStart + end });
  }

  // As the reference reader (safetensors tensor.rs, validate): the spans, in order, tile the data
  // section from 0 to its very end. A header length a few bytes short still parses (headers end
  // in padding spaces) but shifts every tensor; only this check catches it.
  const bySpan = [...tensors.values()].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = dataStart;
  let previous: TensorInfo | undefined;
  for (const current of bySpan) {
    const span = `data_offsets [${current.begin - dataStart}, ${current.end - dataStart}]`;
    if (current.begin < expected) {
      throw new SafetensorsError(`${file}: tensor "${current.name}" (${span}) overlaps tensor "${previous!.name}" ` +
        `([${previous!.begin - dataStart}, ${previous!.end - dataStart}])`);
    }
    if (current.begin > expected) {
      throw new SafetensorsError(`${file}: tensor "${current.name}" (${span}) starts at ${current.begin - dataStart}, ` +
        `expected ${expected - dataStart}${previous ? ` where tensor "${previous.name}" ends` : ''}: the data section has a gap`);
    }
    expected = current.end;
    previous = current;
  }
  if (expected !== fileLength) {
    throw new SafetensorsError(`${file}: ${fileLength - expected} bytes after the last tensor in the ${dataLength}-byte ` +
      'data section: the header length or data_offsets are wrong, or bytes were appended');
  }
  return { metadata, tensors };
}

function parseMetadata(entry: unknown, file: string): Record<string, string> {
  if (!isPlainObject(entry)) throw new SafetensorsError(`${file}: __metadata__ must be an object, found ${describe(entry)}`);
  for (const [key, value] of Object.entries(entry)) {
    if (typeof value !== 'string') {
      throw new SafetensorsError(`${file}: __metadata__ "${key}" must be a string, found ${describe(value)}`);
    }
  }
  // fromEntries defines own properties, so a "__proto__" key stays data rather than a prototype.
  return Object.fromEntries(Object.entries(entry)) as Record<string, string>;
}

/** tensor name → shard file name, from a model.safetensors.index.json. */
function parseIndex(indexJson: string, file: string): Map<string, string> {
  const index = parseJsonText(indexJson, file, SafetensorsError);
  if (!isPlainObject(index) || !isPlainObject(index.weight_map)) {
    throw new SafetensorsError(`${file}: expected an object with a "weight_map" object`);
  }
  const weightMap = new Map<string, string>();
  for (const [name, shard] of Object.entries(index.weight_map)) {
    // The loader joins shard names onto the checkpoint folder or URL, so anything that could
    // leave it (separators, "..", drive letters) is refused.
    if (!isPlainFileName(shard)) {
      throw new SafetensorsError(`${file}: tensor "${name}": shard must be a plain file name, found ${describe(shard)}`);
    }
    weightMap.set(name, shard);
  }
  return weightMap;
}

/** A name the loader may join onto a model folder or URL: one path segment, not "." or "..", no drive letter or scheme. */
export function isPlainFileName(name: unknown): name is string {
  return typeof name === 'string' && /^[^/\\:\0]+$/.test(name) && name !== '.' && name !== '..';
}

/** Shard file names listed by a model.safetensors.index.json, validated (each name a plain file name, no paths). */
export function shardFiles(indexJson: string, file: string): string[] {
  return [...new Set(parseIndex(indexJson, file).values())];
}

// Files may be named by path or URL; the index names shards by their last segment.
const baseName = (file: string) => file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1);

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

export class Checkpoint {
  private readonly tensors = new Map<string, { info: TensorInfo; bytes: Uint8Array; metadata: Record<string, string> }>();
  private readonly fileNames: string[];

  /**
   * Merges shards; a tensor name in two shards is an error. With an index, every weight_map entry
   * must be found in its named shard. `copied` is told of each tensor's bytes once they have been
   * copied or converted to float32, so a mapped file's pages need not stay resident beside the copy.
   */
  constructor(files: SafetensorsFile[], index?: { json: string; file: string }, private readonly copied?: (bytes: Uint8Array) => void) {
    this.fileNames = files.map((shard) => shard.file);
    for (const shard of files) {
      for (const [name, info] of shard.tensors) {
        const earlier = this.tensors.get(name);
        if (earlier) throw new SafetensorsError(`tensor "${name}" appears in both ${earlier.info.file} and ${shard.file}`);
        this.tensors.set(name, { info, bytes: shard.bytes, metadata: shard.metadata });
      }
    }
    if (!index) return;
    for (const [name, shard] of parseIndex(index.json, index.file)) {
      const found = this.tensors.get(name)?.info;
      if (found && baseName(found.file) === shard) continue;
      const loaded = files.find((candidate) => baseName(candidate.file) === shard);
      throw new SafetensorsError(loaded
        ? `${index.file}: tensor "${name}" is mapped to ${shard}, which does not contain it` +
          (found ? ` (found in ${found.file})` : '')
        : `${index.file}: tensor "${name}" is mapped to ${shard}, which was not loaded (loaded: ${this.fileList()})`);
    }
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  names(): string[] {
    return [...this.tensors.keys()];
  }

  /** Where a tensor is, and the __metadata__ of the file that holds it. */
  info(name: string): { tensor: TensorInfo; metadata: Record<string, string> } | undefined {
    const found = this.tensors.get(name);
    return found && { tensor: found.info, metadata: found.metadata };
  }

  /** A tensor's bytes as stored, whatever its dtype: a view of the file's bytes. */
  rawBytes(name: string): Uint8Array {
    const tensor = this.tensors.get(name);
    if (!tensor) throw new SafetensorsError(`tensor "${name}" not found in ${this.fileList()}`);
    return tensor.bytes.subarray(tensor.info.begin, tensor.info.end);
  }

  /**
   * The codes of an I8 tensor, checked against `shape`, as a view of the file's bytes valid only
   * while they are: for a Linear weight the backend packs at once.
   */
  int8Transient(name: string, shape: readonly number[]): Int8Array {
    const { info, bytes } = this.located(name, shape);
    if (info.dtype !== 'I8') throw new SafetensorsError(`${info.file}: tensor "${name}": expected dtype I8, found ${info.dtype}`);
    return new Int8Array(bytes.buffer, bytes.byteOffset + info.begin, info.end - info.begin);
  }

  /**
   * float32 values of `name`, checked against `shape`: always a copy the caller owns, so the model
   * never depends on the file's bytes (or a mapping of them) after load, and checked to be finite.
   * Missing tensor, wrong shape or a NaN/±inf value → SafetensorsError naming the file and tensor.
   */
  float32(name: string, shape: readonly number[]): Float32Array {
    return this.decode(name, shape, true);
  }

  /**
   * As float32, but aligned F32 comes as a view of the file's bytes, valid only while they are:
   * for a weight the backend copies or packs at once (Linear weights), which saves a transient
   * copy of every one of them at load.
   */
  float32Transient(name: string, shape: readonly number[]): Float32Array {
    return this.decode(name, shape, false);
  }

  // The tensor `name`, checked to exist with `shape`.
  private located(name: string, shape: readonly number[]): { info: TensorInfo; bytes: Uint8Array } {
    const tensor = this.tensors.get(name);
    if (!tensor) throw new SafetensorsError(`tensor "${name}" (shape ${formatShape(shape)}) not found in ${this.fileList()}`);
    const { info } = tensor;
    if (info.shape.length !== shape.length || info.shape.some((size, axis) => size !== shape[axis])) {
      throw new SafetensorsError(`${info.file}: tensor "${name}": expected shape ${formatShape(shape)}, found ${formatShape(info.shape)}`);
    }
    return tensor;
  }

  private decode(name: string, shape: readonly number[], copy: boolean): Float32Array {
    const { info, bytes } = this.located(name, shape);
    const where = `${info.file}: tensor "${name}"`;
    if (info.dtype === 'I8') {
      throw new SafetensorsError(`${where}: dtype I8 (int8 codes) is read only as the weight of an encoder Linear layer, ` +
        'not as float32');
    }
    const count = shape.reduce((product, size) => product * size, 1);
    const byteOffset = bytes.byteOffset + info.begin;
    const values = copy && this.copied && info.dtype === 'F32' && LITTLE_ENDIAN && byteOffset % 4 === 0
      ? copyReleasing(new Float32Array(bytes.buffer, byteOffset, count), this.copied)
      : decodeFloat32(info.dtype, new DataView(bytes.buffer, byteOffset, info.end - info.begin), count, copy);
    if (!values) throw new SafetensorsError(`${where}: dtype ${info.dtype} cannot be read as float32 (F32, F16 and BF16 can)`);
    const bad = firstNonFinite(values);
    if (bad >= 0) {
      throw new SafetensorsError(`${where}: element ${bad} is ${values[bad]}; weights must be finite (the file is corrupt, ` +
        'or the model diverged in training)');
    }
    // a transient view stays the caller's to release (the native LinearWeight does); any copy is made here
    if (values.buffer !== bytes.buffer) this.copied?.(bytes.subarray(info.begin, info.end));
    return values;
  }

  /** The files the tensors come from, for messages. */
  fileList(): string {
    return this.fileNames.join(', ') || 'no files';
  }
}

// Floats copied per step of copyReleasing: 4 MiB.
const COPY_CHUNK = 1 << 20;

/**
 * A copy of `view`, made a chunk at a time, each chunk's bytes passed to `release` once copied: a
 * large tensor's mapped pages (a 45 MiB word-embedding table) and its copy are then never all
 * resident together, which they were at the peak of a load. Pages a chunk shares with the next
 * stay for the caller's release of the whole tensor.
 */
function copyReleasing(view: Float32Array, release: (bytes: Uint8Array) => void): Float32Array {
  const out = new Float32Array(view.length);
  for (let at = 0; at < view.length; at += COPY_CHUNK) {
    const chunk = view.subarray(at, at + COPY_CHUNK);
    out.set(chunk, at);
    release(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }
  return out;
}

/** `count` values of an F32, F16 or BF16 tensor's bytes as a new Float32Array (aligned F32 as a view unless `copy`); undefined for other dtypes. */
export function decodeFloat32(dtype: string, data: DataView, count: number, copy = true): Float32Array | undefined {
  switch (dtype) {
    case 'F32': {
      if (!LITTLE_ENDIAN || data.byteOffset % 4 !== 0) return f32Copy(data, count);
      const view = new Float32Array(data.buffer, data.byteOffset, count);
      return copy ? view.slice() : view;
    }
    case 'F16':
      return f16ToF32(data, count);
    case 'BF16':
      return bf16ToF32(data, count);
    default:
      return undefined;
  }
}

/** Index of the first NaN or ±inf, or -1: x − x is 0 for every finite x and NaN otherwise. */
function firstNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) if (values[i] - values[i] !== 0) return i;
  return -1;
}

// A Float32Array view needs 4-byte alignment and native little-endian order; otherwise copy.
function f32Copy(data: DataView, count: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = data.getFloat32(4 * i, true);
  return out;
}

// IEEE binary16 → binary32 by moving fields: the exponent rebias is 127 - 15 = 112; the
// all-ones exponent keeps its payload so NaN stays NaN and ±inf stays ±inf. Subnormals
// (exponent 0) are mantissa · 2^-24, exact in float32; this also gives ±0.
function f16ToF32(data: DataView, count: number): Float32Array {
  const out = new Float32Array(count);
  const outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < count; i++) {
    const half = data.getUint16(2 * i, true);
    const sign = (half & 0x8000) << 16;
    const exponent = (half >> 10) & 0x1f;
    const mantissa = half & 0x3ff;
    if (exponent === 0) out[i] = (sign ? -mantissa : mantissa) * 2 ** -24;
    else if (exponent === 0x1f) outBits[i] = sign | 0x7f800000 | (mantissa << 13);
    else outBits[i] = sign | ((exponent + 112) << 23) | (mantissa << 13);
  }
  return out;
}

// bfloat16 is the top half of a binary32.
function bf16ToF32(data: DataView, count: number): Float32Array {
  const out = new Float32Array(count);
  const outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < count; i++) outBits[i] = data.getUint16(2 * i, true) << 16;
  return out;
}
