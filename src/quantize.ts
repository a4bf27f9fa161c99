// sentvec quantize (Node only): a model folder whose encoder Linear weights are stored as int8
// codes and scales (quantized-checkpoint.ts), loadable without a float copy of them ever existing.
// The codes are those the backends compute at load with dtype int8 (int8.ts quantizeBlocks), so
// the quantized folder gives the same vectors, bit for bit.

import fs from 'node:fs';
import path from 'node:path';
import { blocksOf, quantizeBlocks } from './backend/int8.js';
import { jsKernels } from './backend/js.js';
import { checkpointOf, readConfig } from './load-graph.js';
import { encoderFor } from './models/index.js';
import { QUANTIZATION_KEY, QUANTIZATION_LAYOUT, isQuantized, scaleName } from './quantized-checkpoint.js';
import { dtypeBits, type Checkpoint } from './safetensors.js';
import { folderSource } from './sources/source.js';

export interface QuantizeOptions {
  /** Replace `outDir` when it exists and is not empty (by default that is an error). */
  force?: boolean;
}

export interface QuantizeSummary {
  /** Bytes of the source's safetensors file(s) and of the written model.safetensors. */
  sourceBytes: number;
  bytes: number;
  /** Linear weights stored as int8. */
  linearWeights: number;
  /** The other files copied, relative to the folder. */
  copied: string[];
}

/** One tensor of the written file: where it goes and how its bytes are made. */
interface Planned {
  name: string;
  dtype: string;
  shape: number[];
  bytes: number;
  offset: number;
}

const isWeightFile = (file: string) => /^model(-\d+-of-\d+)?\.safetensors(\.index\.json)?$/.test(file);

/**
 * Writes `outDir`: model.safetensors with the encoder's Linear weights of the model folder `src` as
 * I8 codes plus F32 `<name>_scale` tensors and every other tensor unchanged, and a copy of every
 * other file of the folder. Built in a sibling temporary folder and renamed into place.
 */
export async function quantize(src: string, outDir: string, options: QuantizeOptions = {}): Promise<QuantizeSummary> {
  const out = path.resolve(outDir);
  if (fs.existsSync(out) && fs.readdirSync(out).length > 0 && !options.force) {
    throw new Error(`${outDir} exists and is not empty; choose a new folder or pass --force to replace it`);
  }
  const source = folderSource(src);
  const config = await readConfig(source);
  const checkpoint = await checkpointOf(source);
  if (isQuantized(checkpoint)) throw new Error(`${src}: already quantized (its model.safetensors declares "${QUANTIZATION_KEY}")`);
  const linears = linearShapes(checkpoint, config, `${src}/config.json`);

  const temporary = path.join(path.dirname(out), `.${path.basename(out)}.quantize-${process.pid}`);
  fs.rmSync(temporary, { recursive: true, force: true });
  fs.mkdirSync(temporary, { recursive: true });
  try {
    const copied = copyOtherFiles(src, temporary);
    const bytes = writeQuantized(checkpoint, linears, path.join(temporary, 'model.safetensors'));
    fs.rmSync(out, { recursive: true, force: true });
    fs.renameSync(temporary, out);
    const sourceBytes = fs.readdirSync(src).filter((file) => file.endsWith('.safetensors'))
      .reduce((sum, file) => sum + fs.statSync(path.join(src, file)).size, 0);
    return { sourceBytes, bytes, linearWeights: linears.size, copied };
  } catch (error) {
    fs.rmSync(temporary, { recursive: true, force: true });
    throw error;
  }
}

/**
 * The encoder's Linear weights by checkpoint name, as the graph itself asks for them: the model is
 * built over kernels that keep nothing, so no weight is held beyond the call that checks it.
 */
function linearShapes(checkpoint: Checkpoint, config: Record<string, unknown>, file: string): Map<string, [number, number]> {
  const linears = new Map<string, [number, number]>();
  const keepNothing = { ...jsKernels, weight: () => new Float32Array(0) };
  encoderFor(keepNothing, checkpoint, config, file, (name, N, K) => {
    linears.set(name, [N, K]);
    return { N, K, format: 'i8' };
  });
  return linears;
}

/** Writes the file one tensor at a time; returns its size. */
function writeQuantized(checkpoint: Checkpoint, linears: Map<string, [number, number]>, file: string): number {
  const planned: Planned[] = [];
  const metadata: Record<string, string> = {};
  for (const name of checkpoint.names()) {
    const { tensor, metadata: fileMetadata } = checkpoint.info(name)!;
    Object.assign(metadata, fileMetadata);
    const shape = linears.get(name);
    if (!shape) {
      planned.push({ name, dtype: tensor.dtype, shape: tensor.shape, bytes: tensor.end - tensor.begin, offset: 0 });
      continue;
    }
    const [N, K] = shape;
    if (checkpoint.has(scaleName(name))) throw new Error(`tensor "${scaleName(name)}" already exists: it would collide with the scales of "${name}"`);
    planned.push({ name, dtype: 'I8', shape: [N, K], bytes: N * K, offset: 0 });
    planned.push({ name: scaleName(name), dtype: 'F32', shape: [N, blocksOf(K)], bytes: 4 * N * blocksOf(K), offset: 0 });
  }
  metadata[QUANTIZATION_KEY] = QUANTIZATION_LAYOUT;

  // Widest elements first, from an 8-aligned data section: every tensor starts aligned to its
  // element, so the loader can view F32 data in place.
  planned.sort((a, b) => dtypeBits(b.dtype)! - dtypeBits(a.dtype)!);
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const tensor of planned) {
    tensor.offset = offset;
    header[tensor.name] = { dtype: tensor.dtype, shape: tensor.shape, data_offsets: [offset, offset + tensor.bytes] };
    offset += tensor.bytes;
  }
  let headerText = JSON.stringify(header);
  headerText += ' '.repeat((8 - ((8 + Buffer.byteLength(headerText)) % 8)) % 8);
  const headerBytes = Buffer.from(headerText);
  const dataStart = 8 + headerBytes.length;

  const fd = fs.openSync(file, 'w');
  try {
    const lengthPrefix = Buffer.alloc(8);
    lengthPrefix.writeBigUInt64LE(BigInt(headerBytes.length));
    fs.writeSync(fd, lengthPrefix, 0, 8, 0);
    fs.writeSync(fd, headerBytes, 0, headerBytes.length, 8);
    const at = new Map(planned.map((tensor) => [tensor.name, dataStart + tensor.offset]));
    for (const name of checkpoint.names()) {
      const shape = linears.get(name);
      if (shape) {
        const [N, K] = shape;
        const { codes, scales } = quantizeBlocks(checkpoint.float32Transient(name, [N, K]), N, K);
        writeAll(fd, new Uint8Array(codes.buffer), at.get(name)!);
        writeAll(fd, new Uint8Array(scales.buffer), at.get(scaleName(name))!);
      } else {
        writeAll(fd, checkpoint.rawBytes(name), at.get(name)!);
      }
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return dataStart + offset;
}

function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  for (let done = 0; done < bytes.length;) done += fs.writeSync(fd, bytes, done, bytes.length - done, position + done);
}

/** Copies every file of `src` but its safetensors weights into `dest`, folders included; returns their paths. */
function copyOtherFiles(src: string, dest: string): string[] {
  const copied: string[] = [];
  const walk = (relative: string) => {
    for (const entry of fs.readdirSync(path.join(src, relative))) {
      const from = path.join(src, relative, entry);
      const name = path.join(relative, entry);
      if (relative === '' && isWeightFile(entry)) continue;
      if (fs.statSync(from).isDirectory()) {
        fs.mkdirSync(path.join(dest, name));
        walk(name);
      } else {
        fs.copyFileSync(from, path.join(dest, name));
        copied.push(name);
      }
    }
  };
  walk('');
  return copied;
}
