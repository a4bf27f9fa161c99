// The `Precompiled` normalizer of Hugging Face `tokenizers` (normalizers/precompiled.rs over the
// spm_precompiled crate): sentencepiece's normalization rules, compiled into a darts-clone
// double-array trie from UTF-8 byte strings to offsets of NUL-terminated replacements.
// precompiled_charsmap is [u32 LE trie byte length][trie units, u32 LE][replacement strings].

import type { Normalizer } from './parts.js';

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
// Made with the first Precompiled normalizer, so runtimes without Intl.Segmenter can still
// import the tokenizer for WordPiece checkpoints.
let graphemes: Intl.Segmenter | undefined;

export class PrecompiledNormalizer implements Normalizer {
  private readonly units: Uint32Array;
  private readonly replacements: Uint8Array;
  /** Replacement of each single-byte character, undefined where the trie has none. */
  private readonly ascii: (string | undefined)[] = [];

  /** charsmap is the base64 precompiled_charsmap; file names the tokenizer.json in errors. */
  constructor(charsmap: string, file: string) {
    let bytes: Uint8Array;
    try {
      bytes = Uint8Array.from(atob(charsmap), (char) => char.charCodeAt(0));
    } catch {
      throw new Error(`${file}: normalizer precompiled_charsmap is not base64`);
    }
    const view = new DataView(bytes.buffer);
    const trieBytes = bytes.length >= 4 ? view.getUint32(0, true) : -1;
    if (trieBytes < 4 || trieBytes % 4 !== 0 || 4 + trieBytes > bytes.length) {
      throw new Error(`${file}: normalizer precompiled_charsmap of ${bytes.length} bytes does not hold the trie its header announces (${trieBytes} bytes)`);
    }
    this.units = new Uint32Array(trieBytes / 4);
    for (let i = 0; i < this.units.length; i++) this.units[i] = view.getUint32(4 + 4 * i, true);
    this.replacements = bytes.subarray(4 + trieBytes);
    if (typeof Intl.Segmenter !== 'function') throw new Error(`${file}: the Precompiled normalizer needs Intl.Segmenter (grapheme clusters), which this runtime lacks`);
    graphemes ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
    for (let code = 0; code < 128; code++) this.ascii[code] = this.transform(String.fromCharCode(code), file);
  }

  // Precompiled::normalize: a grapheme shorter than 6 UTF-8 bytes is replaced by what its first
  // (shortest) trie match maps to, dropping the rest of the grapheme, as sentencepiece does;
  // otherwise each of its characters is replaced on its own or kept.
  normalize(text: string): string {
    let normalized = '';
    for (const { segment } of graphemes!.segment(text)) {
      if (segment.length === 1 && segment.charCodeAt(0) < 128) {
        normalized += this.ascii[segment.charCodeAt(0)] ?? segment;
        continue;
      }
      const whole = utf8ByteLength(segment) < 6 ? this.transform(segment) : undefined;
      if (whole !== undefined) {
        normalized += whole;
        continue;
      }
      for (const char of segment) normalized += this.transform(char) ?? char;
    }
    return normalized;
  }

  /** The replacement of the shortest trie key that prefixes text, or undefined. */
  private transform(text: string, file?: string): string | undefined {
    const offset = this.firstPrefixValue(utf8.encode(text));
    if (offset === undefined) return undefined;
    let end = offset;
    while (end < this.replacements.length && this.replacements[end] !== 0) end++;
    try {
      return utf8Decoder.decode(this.replacements.subarray(offset, end));
    } catch {
      throw new Error(`${file ?? 'tokenizer.json'}: normalizer precompiled_charsmap replacement at ${offset} is not UTF-8`);
    }
  }

  // darts-clone DoubleArray::commonPrefixSearch, stopping at the first result.
  private firstPrefixValue(key: Uint8Array): number | undefined {
    const units = this.units;
    let nodePos = offsetOf(units[0]);
    for (const byte of key) {
      if (byte === 0) return undefined;
      nodePos ^= byte;
      const unit = units[nodePos];
      if (unit === undefined || (unit & 0x800000ff) >>> 0 !== byte) return undefined;
      nodePos ^= offsetOf(unit);
      if ((unit >>> 8) & 1) {
        const value = units[nodePos];
        return value === undefined ? undefined : value & 0x7fffffff;
      }
    }
    return undefined;
  }
}

function offsetOf(unit: number): number {
  return (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
}

function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}
