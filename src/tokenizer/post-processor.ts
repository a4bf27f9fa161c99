// The single-sequence half of the post-processors of Hugging Face `tokenizers`
// (processors/template.rs, bert.rs, roberta.rs): fixed ids before and after the content.

export class PostProcessor {
  constructor(
    readonly prefixIds: readonly number[],
    readonly suffixIds: readonly number[],
  ) {}

  get numSpecialTokens(): number {
    return this.prefixIds.length + this.suffixIds.length;
  }
}

type Json = Record<string, unknown>;

/** The post_processor of a tokenizer.json (null: no special tokens); file names it in errors. */
export function postProcessorFromJson(json: unknown, file: string): PostProcessor {
  if (json === null || json === undefined) return new PostProcessor([], []);
  const spec = json as Json;
  switch (spec.type) {
    case 'TemplateProcessing':
      return fromTemplate(spec, file);
    // BertProcessing and RobertaProcessing put a single sequence as `cls A sep`; Roberta's
    // trim_offsets / add_prefix_space only move offsets.
    case 'BertProcessing':
    case 'RobertaProcessing':
      return new PostProcessor([tokenId(spec.cls, 'cls', file)], [tokenId(spec.sep, 'sep', file)]);
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

// TemplateProcessing::apply_template for the `single` template.
function fromTemplate(spec: Json, file: string): PostProcessor {
  const single = spec.single;
  if (!Array.isArray(single)) throw new Error(`${file}: post_processor.single should be a template list, found ${JSON.stringify(single)}`);
  const specialTokens = (spec.special_tokens ?? {}) as Record<string, { ids?: unknown }>;
  const prefixIds: number[] = [];
  const suffixIds: number[] = [];
  let sequences = 0;
  for (const piece of single as Json[]) {
    if (piece.Sequence !== undefined) {
      const sequenceId = (piece.Sequence as Json).id;
      if (sequenceId !== 'A') throw new Error(`${file}: post_processor.single uses sequence ${JSON.stringify(sequenceId)}; a single input has only A`);
      sequences++;
    } else if (piece.SpecialToken !== undefined) {
      const name = (piece.SpecialToken as Json).id as string;
      const ids = specialTokens[name]?.ids;
      if (!Array.isArray(ids) || !ids.every((id) => Number.isInteger(id))) {
        throw new Error(`${file}: post_processor.single names special token ${JSON.stringify(name)}, which post_processor.special_tokens does not define`);
      }
      (sequences === 0 ? prefixIds : suffixIds).push(...(ids as number[]));
    } else {
      throw new Error(`${file}: post_processor.single holds ${JSON.stringify(piece)}, neither Sequence nor SpecialToken`);
    }
  }
  if (sequences !== 1) throw new Error(`${file}: post_processor.single should hold sequence A once, found ${sequences} times`);
  return new PostProcessor(prefixIds, suffixIds);
}
