// Unigram model of Hugging Face `tokenizers` (models/unigram/model.rs, Unigram::encode_optimized
// and tokenize): Viterbi over every vocabulary piece that starts at each character, unknown
// characters scored min_score - 10 and fused into one unknown token, then byte fallback.

import type { TokenModel } from './parts.js';

const UNK_PENALTY = 10;
const utf8 = new TextEncoder();

export interface UnigramOptions {
  /** [piece, score] by id */
  pieces: [string, number][];
  unkId: number | null;
  byteFallback: boolean;
}

export class Unigram implements TokenModel {
  readonly vocab = new Map<string, number>();
  private readonly scores: number[];
  private readonly unkId: number | null;
  private readonly byteFallback: boolean;
  private readonly unkScore: number;
  /** Longest piece, in UTF-16 code units: no match can be longer. */
  private readonly maxPieceLength: number;

  /** source names the file in error messages */
  constructor(options: UnigramOptions, private readonly source: string) {
    let minScore = Infinity;
    let maxPieceLength = 0;
    options.pieces.forEach(([piece, score], id) => {
      this.vocab.set(piece, id);
      minScore = Math.min(minScore, score);
      maxPieceLength = Math.max(maxPieceLength, piece.length);
    });
    this.scores = options.pieces.map(([, score]) => score);
    this.unkId = options.unkId;
    this.byteFallback = options.byteFallback;
    this.unkScore = minScore - UNK_PENALTY;
    this.maxPieceLength = maxPieceLength;
  }

  /** Appends the ids of word to ids. */
  tokenize(word: string, ids: number[]): void {
    for (const piece of this.bestPieces(word)) {
      const id = this.vocab.get(piece);
      if (id !== undefined) {
        ids.push(id);
        continue;
      }
      if (this.byteFallback) {
        const byteIds = Array.from(utf8.encode(piece), (byte) => this.vocab.get(`<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`));
        if (byteIds.every((byteId) => byteId !== undefined)) {
          ids.push(...(byteIds as number[]));
          continue;
        }
      }
      if (this.unkId === null) throw new Error(`${this.source}: the Unigram model has no unk_id, and ${JSON.stringify(piece)} is not in its vocabulary`);
      ids.push(this.unkId);
    }
  }

  // Best path ending at each code unit boundary; edges of equal score keep the earlier one,
  // as the strict comparison in encode_optimized does.
  private bestPieces(word: string): string[] {
    const size = word.length;
    if (size === 0) return [];
    const bestScore = new Float64Array(size + 1);
    const startsAt = new Int32Array(size + 1).fill(-1);
    const pieceId = new Int32Array(size + 1);
    for (let start = 0; start < size; ) {
      const scoreHere = bestScore[start];
      const charLength = isHighSurrogateAt(word, start) ? 2 : 1;
      let hasSingleChar = false;
      const last = Math.min(size, start + this.maxPieceLength);
      for (let end = start + charLength; end <= last; end += isHighSurrogateAt(word, end) ? 2 : 1) {
        const id = this.vocab.get(word.slice(start, end));
        if (id === undefined) continue;
        const score = this.scores[id] + scoreHere;
        if (startsAt[end] === -1 || score > bestScore[end]) {
          bestScore[end] = score;
          startsAt[end] = start;
          pieceId[end] = id;
        }
        if (end - start === charLength) hasSingleChar = true;
      }
      if (!hasSingleChar) {
        const end = start + charLength;
        const score = this.unkScore + scoreHere;
        if (startsAt[end] === -1 || score > bestScore[end]) {
          bestScore[end] = score;
          startsAt[end] = start;
          pieceId[end] = -1;
        }
      }
      start += charLength;
    }
    // Walk back; runs of unknown characters become one piece (fuse_unk).
    const pieces: string[] = [];
    let unknownEnd = -1;
    for (let end = size; end > 0; ) {
      const start = startsAt[end];
      const unknown = pieceId[end] === -1 || pieceId[end] === this.unkId;
      if (unknown) {
        if (unknownEnd === -1) unknownEnd = end;
      } else {
        if (unknownEnd !== -1) pieces.push(word.slice(end, unknownEnd));
        unknownEnd = -1;
        pieces.push(word.slice(start, end));
      }
      end = start;
    }
    if (unknownEnd !== -1) pieces.push(word.slice(0, unknownEnd));
    return pieces.reverse();
  }
}

function isHighSurrogateAt(text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  const next = text.charCodeAt(index + 1);
  return code >= 0xd800 && code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff;
}
