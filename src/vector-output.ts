// Where `sentvec embed` writes its vectors, streamed batch by batch in input order:
//   jsonl  one JSON array per line
//   f32    rows of little-endian float32, back to back
//   npy    one float32 matrix numpy.load reads: the header's row count is rewritten at the end,
//          so the output must be a file (--output FILE, or stdout redirected to one)

import fs from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';

export const FORMATS = ['jsonl', 'npy', 'f32'] as const;
export type VectorFormat = (typeof FORMATS)[number];

export interface VectorOutput {
  write(vectors: Float32Array[]): Promise<void>;
  /** Flushes and, for npy, writes the final header. */
  close(): Promise<void>;
}

// Header bytes reserved up front, room for any row count (numpy pads headers to 64 bytes).
const NPY_HEADER_BYTES = 128;

/** numpy format 1.0: magic, version, header length, a Python dict literal padded with spaces. */
function npyHeader(rows: number, dimension: number): Buffer {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${dimension}), }`;
  const header = Buffer.alloc(NPY_HEADER_BYTES, 0x20);
  header.write('\x93NUMPY', 0, 'latin1');
  header.writeUInt8(1, 6);
  header.writeUInt8(0, 7);
  header.writeUInt16LE(NPY_HEADER_BYTES - 10, 8);
  header.write(dict, 10, 'latin1');
  header.write('\n', NPY_HEADER_BYTES - 1, 'latin1');
  return header;
}

async function send(stream: Writable, chunk: string | Uint8Array): Promise<void> {
  if (!stream.write(chunk)) await once(stream, 'drain');
}

function floatBytes(vectors: Float32Array[]): Buffer {
  const bytes = Buffer.alloc(vectors.reduce((sum, vector) => sum + vector.byteLength, 0));
  let offset = 0;
  for (const vector of vectors) {
    // the host is little-endian on every platform Node runs sentvec on; numpy reads '<f4'
    bytes.set(new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength), offset);
    offset += vector.byteLength;
  }
  return bytes;
}

/** Opens `file` (stdout when undefined) for vectors of `dimension` floats in `format`. */
export async function openVectorOutput(file: string | undefined, format: VectorFormat, dimension: number): Promise<VectorOutput> {
  const fd = file === undefined ? 1 : fs.openSync(file, 'w');
  if (format === 'npy' && !fs.fstatSync(fd).isFile()) {
    throw new Error('--format npy needs a file to write to: pass --output FILE or redirect stdout to a file');
  }
  const stream: Writable = file === undefined ? process.stdout : fs.createWriteStream('', { fd, autoClose: false });
  let rows = 0;
  if (format === 'npy') await send(stream, npyHeader(0, dimension));
  return {
    async write(vectors) {
      rows += vectors.length;
      if (format === 'jsonl') await send(stream, vectors.map((vector) => `${JSON.stringify(Array.from(vector))}\n`).join(''));
      else await send(stream, floatBytes(vectors));
    },
    async close() {
      if (stream !== process.stdout) {
        stream.end();
        await once(stream, 'finish');
      }
      if (format === 'npy') fs.writeSync(fd, npyHeader(rows, dimension), 0, NPY_HEADER_BYTES, 0);
      if (file !== undefined) fs.closeSync(fd);
    },
  };
}
