// The post-processors of Hugging Face `tokenizers` (processors/template.rs, bert.rs, roberta.rs):
// fixed special tokens around one sequence, or around and between the two of a pair, each piece
// with the token type id the template gives it.

/** A piece of a pair template: special token ids, or one of the two sequences. */
export type PairPiece = { ids: readonly number[]; typeId: number } | { sequence: 'A' | 'B'; typeId: number };

/** Ids and token type ids of a post-processed pair. */
export interface PairEncoding {
  ids: Int32Array;
  typeIds: Int32Array;
}

export class PostProcessor {
  /** Special tokens the pair template adds (get_n_added_tokens(true)). */
  readonly numPairSpecialTokens: number;

  /** pairTemplate null: the post-processor has no pair form (a TemplateProcessing without `pair`). */
  constructor(
    readonly prefixIds: readonly number[],
    readonly suffixIds: readonly number[],
    readonly pairTemplate: readonly PairPiece[] | null,
  ) {
    this.numPairSpecialTokens = (pairTemplate ?? []).reduce((sum, piece) => sum + ('ids' in piece ? piece.ids.length : 0), 0);
  }

  get numSpecialTokens(): number {
    return this.prefixIds.length + this.suffixIds.length;
  }

  /** The pair template applied to the content ids of A and B; the template must exist. */
  applyPair(a: readonly number[], b: readonly number[]): PairEncoding {
    const pieces = this.pairTemplate!;
    const length = this.numPairSpecialTokens + a.length + b.length;
    const ids = new Int32Array(length);
    const typeIds = new Int32Array(length);
    let at = 0;
    for (const piece of pieces) {
      const pieceIds = 'ids' in piece ? piece.ids : piece.sequence === 'A' ? a : b;
      ids.set(pieceIds, at);
      typeIds.fill(piece.typeId, at, at + pieceIds.length);
      at += pieceIds.length;
    }
    return { ids, typeIds };
  }
}

/** `cls A sep` and `cls A sep B sep` with B's part typed 1, as BertProcessing (and transformers' BertTokenizer). */
export function bertPostProcessor(cls: number, sep: number): PostProcessor {
  return new PostProcessor([cls], [sep], [
    { ids: [cls], typeId: 0 }, { sequence: 'A', typeId: 0 }, { ids: [sep], typeId: 0 },
    { sequence: 'B', typeId: 1 }, { ids: [sep], typeId: 1 },
  ]);
}

/** `cls A sep` and `cls A sep sep B sep`, all typed 0, as RobertaProcessing (and transformers' MPNetTokenizer). */
export function robertaPostProcessor(cls: number, sep: number): PostProcessor {
  return new PostProcessor([cls], [sep], [
    { ids: [cls], typeId: 0 }, { sequence: 'A', typeId: 0 }, { ids: [sep, sep], typeId: 0 },
    { sequence: 'B', typeId: 0 }, { ids: [sep], typeId: 0 },
  ]);
}

type Json = Record<string, unknown>;

/** The post_processor of a tokenizer.json (null: no special tokens); file names it in errors. */
export function postProcessorFromJson(json: unknown, file: string): PostProcessor {
  // Without a post-processor, TokenizerImpl encodes B with type id 1 and concatenates.
  if (json === null || json === undefined) return new PostProcessor([], [], [{ sequence: 'A', typeId: 0 }, { sequence: 'B', typeId: 1 }]);
  const spec = json as Json;
  switch (spec.type) {
    case 'TemplateProcessing':
      return fromTemplate(spec, file);
    // Roberta's trim_offsets / add_prefix_space only move offsets.
    case 'BertProcessing':
      return bertPostProcessor(tokenId(spec.cls, 'cls', file), tokenId(spec.sep, 'sep', file));
    case 'RobertaProcessing':
      return robertaPostProcessor(tokenId(spec.cls, 'cls', file), tokenId(spec.sep, 'sep', file));
    default:
      throw new Error(
        `${file}: post_processor type ${JSON.stringify(spec.type)} is not supported (supported: TemplateProcessing, BertProcessing, RobertaProcessing)`,
      );
  }
}

function tokenId(pair: unknown, field: string, file: string): number {
  if (!Array.isArray(pair) || pair.length !== 2 || !Number.isInteger(pair[1])) {
    throw new Error(`${file}: post_processor.${field} should be [token, id], found ${JSON.stringify(pair)}`);
  }
  return pair[1] as number;
}

// TemplateProcessing::apply_template: the `single` template gives the ids around one sequence,
// the `pair` template the pieces of a pair.
function fromTemplate(spec: Json, file: string): PostProcessor {
  const specialTokens = (spec.special_tokens ?? {}) as Record<string, { ids?: unknown }>;
  const single = templatePieces(spec.single, 'single', ['A'], specialTokens, file)!;
  const sequenceAt = single.findIndex((piece) => 'sequence' in piece);
  const idsOf = (pieces: PairPiece[]): number[] => pieces.flatMap((piece) => ('ids' in piece ? piece.ids : []));
  const pair = templatePieces(spec.pair, 'pair', ['A', 'B'], specialTokens, file);
  return new PostProcessor(idsOf(single.slice(0, sequenceAt)), idsOf(single.slice(sequenceAt + 1)), pair);
}

/** A template list, checked to hold each of `sequences` once; null when the field is absent. */
function templatePieces(
  template: unknown,
  field: 'single' | 'pair',
  sequences: readonly string[],
  specialTokens: Record<string, { ids?: unknown }>,
  file: string,
): PairPiece[] | null {
  if (template === undefined && field === 'pair') return null;
  if (!Array.isArray(template)) throw new Error(`${file}: post_processor.${field} should be a template list, found ${JSON.stringify(template)}`);
  const pieces: PairPiece[] = [];
  for (const piece of template as Json[]) {
    if (piece.Sequence !== undefined) {
      const { id, type_id: typeId } = piece.Sequence as Json;
      if (!sequences.includes(id as string)) {
        throw new Error(`${file}: post_processor.${field} uses sequence ${JSON.stringify(id)}; it may use only ${sequences.join(' and ')}`);
      }
      pieces.push({ sequence: id as 'A' | 'B', typeId: typeIdOf(typeId, field, file) });
    } else if (piece.SpecialToken !== undefined) {
      const { id: name, type_id: typeId } = piece.SpecialToken as Json;
      const ids = specialTokens[name as string]?.ids;
      if (!Array.isArray(ids) || !ids.every((id) => Number.isInteger(id))) {
        throw new Error(`${file}: post_processor.${field} names special token ${JSON.stringify(name)}, which post_processor.special_tokens does not define`);
      }
      pieces.push({ ids: ids as number[], typeId: typeIdOf(typeId, field, file) });
    } else {
      throw new Error(`${file}: post_processor.${field} holds ${JSON.stringify(piece)}, neither Sequence nor SpecialToken`);
    }
  }
  for (const sequence of sequences) {
    const count = pieces.filter((piece) => 'sequence' in piece && piece.sequence === sequence).length;
    if (count !== 1) throw new Error(`${file}: post_processor.${field} should hold sequence ${sequence} once, found ${count} times`);
  }
  return pieces;
}

function typeIdOf(value: unknown, field: string, file: string): number {
  if (value === undefined) return 0;
  if (!Number.isInteger(value) || (value as number) < 0) throw new Error(`${file}: post_processor.${field} type_id should be a non-negative integer, found ${JSON.stringify(value)}`);
  return value as number;
}
