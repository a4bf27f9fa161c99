// Normalizers of Hugging Face `tokenizers`: BertNormalizer (normalizers/bert.rs) step for step,
// and the Sequence, Replace and Unicode-form steps sentencepiece-converted tokenizers chain.
import type { Normalizer } from './parts.js';
import { isChineseChar, isCleanTextRemoved, isNfdDecomposed, isNonspacingMark, isWhitespace } from './unicode.js';

export interface BertNormalizerOptions {
  cleanText: boolean;
  handleChineseChars: boolean;
  stripAccents: boolean;
  lowercase: boolean;
}

const CAPITAL_SIGMA = '\u03a3';

export class BertNormalizer implements Normalizer {
  constructor(readonly options: BertNormalizerOptions) {}

  normalize(text: string): string {
    const { cleanText, handleChineseChars, stripAccents, lowercase } = this.options;
    let normalized = cleanText || handleChineseChars ? cleanAndSpaceChinese(text, cleanText, handleChineseChars) : text;
    if (stripAccents && !isAscii(normalized)) normalized = removeAccents(normalized);
    if (lowercase) normalized = lowercaseEachChar(normalized);
    return normalized;
  }
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return false;
  return true;
}

/**
 * Rebuilds `text` with each code point replaced by what `replace` returns for it (undefined keeps
 * it), copying unchanged runs whole: most texts need no change and come back as they are.
 */
function mapCodePoints(text: string, replace: (codePoint: number, char: string) => string | undefined): string {
  let out = '';
  let runStart = 0;
  for (let i = 0; i < text.length; ) {
    const codePoint = text.codePointAt(i)!;
    const width = codePoint > 0xffff ? 2 : 1;
    const replacement = replace(codePoint, text.slice(i, i + width));
    if (replacement !== undefined) {
      out += text.slice(runStart, i) + replacement;
      runStart = i + width;
    }
    i += width;
  }
  return runStart === 0 ? text : out + text.slice(runStart);
}

// bert.rs do_clean_text then do_handle_chinese_chars, fused into one pass.
function cleanAndSpaceChinese(text: string, cleanText: boolean, handleChineseChars: boolean): string {
  return mapCodePoints(text, (codePoint, char) => {
    if (cleanText && codePoint !== 0x20) {
      if (isCleanTextRemoved(codePoint)) return '';
      if (isWhitespace(codePoint)) return ' ';
    }
    if (handleChineseChars && codePoint >= 0x3400 && isChineseChar(codePoint)) return ' ' + char + ' ';
    return undefined;
  });
}

// bert.rs do_strip_accents: NFD, then drop the nonspacing marks. Characters are decomposed one
// at a time, and only those the reference's NFD decomposes. The canonical reordering of a
// whole-string NFD is skipped: it only moves combining marks, and all of them but a few spacing
// ones (U+1D165.., musical symbols) are nonspacing and dropped anyway.
function removeAccents(text: string): string {
  return mapCodePoints(text, (codePoint, char) => {
    if (isNonspacingMark(codePoint)) return '';
    if (isNfdDecomposed(codePoint)) return withoutNonspacingMarks(char.normalize('NFD'));
    return undefined;
  });
}

function withoutNonspacingMarks(decomposed: string): string {
  let out = '';
  for (const char of decomposed) if (!isNonspacingMark(char.codePointAt(0)!)) out += char;
  return out;
}

// NormalizedString::lowercase maps every char on its own (char::to_lowercase). String.prototype
// .toLowerCase agrees except for the context-dependent final sigma, so only text holding a
// capital sigma is lowered char by char.
function lowercaseEachChar(text: string): string {
  if (!text.includes(CAPITAL_SIGMA)) return text.toLowerCase();
  let out = '';
  for (const char of text) out += char === CAPITAL_SIGMA ? '\u03c3' : char.toLowerCase();
  return out;
}

/** normalizers::Sequence: each step on the output of the one before. */
export class NormalizerSequence implements Normalizer {
  constructor(private readonly steps: readonly Normalizer[]) {}

  normalize(text: string): string {
    return this.steps.reduce<string>((normalized, step) => step.normalize(normalized), text);
  }
}

/** normalizers::Replace: every non-overlapping match, left to right. */
export class ReplaceNormalizer implements Normalizer {
  constructor(private readonly pattern: string | RegExp, private readonly content: string) {}

  normalize(text: string): string {
    return typeof this.pattern === 'string' ? text.replaceAll(this.pattern, () => this.content) : text.replace(this.pattern, () => this.content);
  }
}

/** normalizers::unicode NFC, NFD, NFKC, NFKD. */
export class UnicodeNormalizer implements Normalizer {
  constructor(private readonly form: 'NFC' | 'NFD' | 'NFKC' | 'NFKD') {}

  normalize(text: string): string {
    return text.normalize(this.form);
  }
}
