// Character classes of Hugging Face `tokenizers` (normalizers/bert.rs, pre_tokenizers/bert.rs),
// by code point. The tables come from the reference library (see unicode-tables.ts); the rest
// are Unicode properties that have not moved in years.
import { BERT_PUNCTUATION, CLEAN_TEXT_REMOVED, NFD_DECOMPOSED, NONSPACING_MARKS } from './unicode-tables.js';

function inRanges(ranges: readonly number[], codePoint: number): boolean {
  let low = 0;
  let high = ranges.length / 2 - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (codePoint < ranges[2 * middle]) high = middle - 1;
    else if (codePoint > ranges[2 * middle + 1]) low = middle + 1;
    else return true;
  }
  return false;
}

/** Rust's char::is_whitespace (the Unicode White_Space property), which is what `tokenizers` splits on; not JS `\s`, which adds U+FEFF and drops U+0085. */
export function isWhitespace(codePoint: number): boolean {
  if (codePoint < 0x80) return codePoint === 0x20 || (codePoint >= 0x09 && codePoint <= 0x0d);
  return (
    codePoint === 0x85 ||
    codePoint === 0xa0 ||
    codePoint === 0x1680 ||
    (codePoint >= 0x2000 && codePoint <= 0x200a) ||
    codePoint === 0x2028 ||
    codePoint === 0x2029 ||
    codePoint === 0x202f ||
    codePoint === 0x205f ||
    codePoint === 0x3000
  );
}

/** Dropped by BertNormalizer's clean_text (bert.rs do_clean_text: NUL, U+FFFD, is_control). */
export function isCleanTextRemoved(codePoint: number): boolean {
  return inRanges(CLEAN_TEXT_REMOVED, codePoint);
}

/** Dropped by strip_accents after NFD (bert.rs do_strip_accents). */
export function isNonspacingMark(codePoint: number): boolean {
  return codePoint >= NONSPACING_MARKS[0] && inRanges(NONSPACING_MARKS, codePoint);
}

/** Decomposed by the reference's NFD, which predates decompositions Node's ICU knows (U+105C9, ...). */
export function isNfdDecomposed(codePoint: number): boolean {
  return codePoint >= NFD_DECOMPOSED[0] && inRanges(NFD_DECOMPOSED, codePoint);
}

/** Isolated by BertPreTokenizer (bert.rs is_bert_punc). */
export function isBertPunctuation(codePoint: number): boolean {
  return inRanges(BERT_PUNCTUATION, codePoint);
}

/** The CJK blocks BertNormalizer surrounds with spaces (bert.rs is_chinese_char). */
export function isChineseChar(codePoint: number): boolean {
  return (
    (codePoint >= 0x4e00 && codePoint <= 0x9fff) ||
    (codePoint >= 0x3400 && codePoint <= 0x4dbf) ||
    (codePoint >= 0x20000 && codePoint <= 0x2a6df) ||
    (codePoint >= 0x2a700 && codePoint <= 0x2b73f) ||
    (codePoint >= 0x2b740 && codePoint <= 0x2b81f) ||
    (codePoint >= 0x2b920 && codePoint <= 0x2ceaf) ||
    (codePoint >= 0xf900 && codePoint <= 0xfaff) ||
    (codePoint >= 0x2f800 && codePoint <= 0x2fa1f)
  );
}
