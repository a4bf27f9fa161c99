// Reads one file of a model folder (Node only): regular files alone, and never more bytes than
// the file can legitimately hold, so a device, a FIFO or a runaway file is refused at once
// instead of hanging the load or filling memory.

import fs from 'node:fs/promises';
import { constants, type Stats } from 'node:fs';
import { checkSafetensorsHeader, safetensorsHeadLength } from './safetensors.js';

// tokenizer.json of the largest multilingual vocabularies is tens of MB; configs are bytes.
const MAX_TEXT_FILE_BYTES = 256 * 1024 * 1024;

function fileKind(stat: Stats): string {
  if (stat.isDirectory()) return 'a folder';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'not a file';
}

/** Throws naming `file` when it is not a regular file (symlinks are followed). */
function assertRegularFile(file: string, stat: Stats): void {
  if (!stat.isFile()) throw new Error(`${file}: not a regular file (${fileKind(stat)})`);
}

/** The file's bytes, undefined if it does not exist. */
export async function readModelFile(file: string): Promise<Uint8Array | undefined> {
  let handle: fs.FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
    handle = await fs.open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  try {
    const stat = await handle.stat();
    assertRegularFile(file, stat);
    if (file.endsWith('.safetensors')) {
      // The header says how long the file must be: check it before reading the data.
      const head = await readAt(handle, file, 0, safetensorsHeadLength(await readAt(handle, file, 0, Math.min(stat.size, 8)), stat.size));
      checkSafetensorsHeader(head, file, stat.size);
    } else if (stat.size > MAX_TEXT_FILE_BYTES) {
      throw new Error(`${file}: ${stat.size} bytes, more than the ${MAX_TEXT_FILE_BYTES} a model text file may have`);
    }
    return await readAt(handle, file, 0, stat.size);
  } finally {
    await handle.close();
  }
}

async function readAt(handle: fs.FileHandle, file: string, position: number, length: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(bytes, done, length - done, position + done);
    if (bytesRead === 0) throw new Error(`${file}: ended after ${position + done} bytes while being read: changed on disk?`);
    done += bytesRead;
  }
  return bytes;
}
