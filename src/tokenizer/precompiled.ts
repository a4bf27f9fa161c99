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
const GRAPHEME_CACHE_SIZE = 1 << 16;

export class PrecompiledNormalizer implements Normalizer {
  private readonly units: Uint32Array;
  private readonly replacements: Uint8Array;
  /** Replacement of each single-byte character, undefined where the trie has none. */
  private readonly ascii: (string | undefined)[] = [];
  /** Normalized form of graphemes met before: texts repeat few distinct ones. */
  private readonly graphemeCache = new Map<string, string>();

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
    for (let start = 0; start < text.length; ) {
      // Between two ASCII characters (but CR LF) a grapheme always ends (UAX #29 GB999): such
      // stretches skip Intl.Segmenter, which costs microseconds a grapheme.
      if (asciiBoundaryAfter(text, start)) {
        const code = text.charCodeAt(start);
        normalized += this.ascii[code] ?? text[start];
        start++;
        continue;
      }
      let end = start + 1;
      while (end < text.length && !asciiBoundaryAfter(text, end - 1)) end++;
      for (const { segment } of graphemes!.segment(text.slice(start, end))) normalized += this.normalizeGrapheme(segment);
      start = end;
    }
    return normalized;
  }

  private normalizeGrapheme(grapheme: string): string {
    if (grapheme.length === 1 && grapheme.charCodeAt(0) < 128) return this.ascii[grapheme.charCodeAt(0)] ?? grapheme;
    let replaced = this.graphemeCache.get(grapheme);
    if (replaced === undefined) {
      const whole = utf8ByteLength(grapheme) < 6 ? this.transform(grapheme) : undefined;
      replaced = whole ?? Array.from(grapheme, (char) => this.transform(char) ?? char).join('');
      if (this.graphemeCache.size >= GRAPHEME_CACHE_SIZE) this.graphemeCache.clear();
      this.graphemeCache.set(grapheme, replaced);
    }
    return replaced;
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

/** Whether text[index] and text[index + 1] (or the end) are ASCII other than CR LF: a certain grapheme boundary. */
function asciiBoundaryAfter(text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  if (code >= 128) return false;
  if (index + 1 === text.length) return true;
  const next = text.charCodeAt(index + 1);
  return next < 128 && !(code === 13 && next === 10);
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
