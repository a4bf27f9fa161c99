// Cross-encoders (sentence_transformers CrossEncoder): a *ForSequenceClassification checkpoint
// scores text pairs. Each pair is tokenized as one sequence ([CLS] a [SEP] b [SEP], token types
// 0 then 1), run through the graph and the classifier head (heads.ts), and its logits go through
// the model's activation: sigmoid for one label, identity for more, unless the folder says else.

import type { BackendName } from './backend/kernels.js';
import { runSortedBatches } from './batching.js';
import { TOKENS_PER_BATCH } from './encoder.js';
import type { ClassifierHead } from './heads.js';
import type { Dtype } from './load-graph.js';
import { nextTurn, type BatchRunner } from './runner.js';
import type { Tokenizer } from './tokenizer/index.js';

/** What a cross-encoder applies to its logits (torch.nn.Sigmoid, Identity, Tanh). */
export type ScoreActivation = 'sigmoid' | 'identity' | 'tanh';

const ACTIVATIONS: Record<string, ScoreActivation> = {
  'torch.nn.modules.activation.Sigmoid': 'sigmoid',
  'torch.nn.modules.linear.Identity': 'identity',
  'torch.nn.modules.activation.Tanh': 'tanh',
};

/** The classifier's two Linear layers by checkpoint name, per transformers architecture. */
const CLASSIFIERS: Record<string, { dense: string; out: string }> = {
  BertForSequenceClassification: { dense: 'bert.pooler.dense', out: 'classifier' },
  MPNetForSequenceClassification: { dense: 'classifier.dense', out: 'classifier.out_proj' },
  XLMRobertaForSequenceClassification: { dense: 'classifier.dense', out: 'classifier.out_proj' },
};

export interface CrossEncoderConfig {
  head: ClassifierHead;
  activation: ScoreActivation;
  /** config.json id2label, by label index. */
  labels: string[];
}

/**
 * The classifier head and default activation of a cross-encoder folder: config.json's
 * architectures and id2label, and the activation sentence-transformers stored (CrossEncoder
 * get_default_activation_fn: config_sentence_transformers.json activation_fn since version 6,
 * config.json sentence_transformers.activation_fn or sbert_ce_default_activation_function before).
 */
export function crossEncoderConfig(config: Record<string, unknown>, settings: Record<string, unknown>, source: string): CrossEncoderConfig {
  const file = `${source}/config.json`;
  const architectures = Array.isArray(config.architectures) ? config.architectures.map(String) : [];
  const architecture = architectures.find((name) => Object.hasOwn(CLASSIFIERS, name));
  if (architecture === undefined) {
    throw new Error(`${file}: architectures ${JSON.stringify(architectures)} has no cross-encoder sentvec runs ` +
      `(supported: ${Object.keys(CLASSIFIERS).join(', ')})`);
  }
  const id2label = config.id2label;
  const labels = typeof id2label === 'object' && id2label !== null && !Array.isArray(id2label)
    ? Object.entries(id2label as Record<string, unknown>).sort(([a], [b]) => Number(a) - Number(b)).map(([, label]) => String(label))
    : ['LABEL_0', 'LABEL_1'];  // transformers' PretrainedConfig default: two labels
  const numLabels = labels.length;
  const nested = config.sentence_transformers as Record<string, unknown> | undefined;
  const stored = settings.activation_fn ?? nested?.activation_fn ?? config.sbert_ce_default_activation_function;
  let activation: ScoreActivation = numLabels === 1 ? 'sigmoid' : 'identity';
  // sentence-transformers imports only torch classes unless trusted with remote code, else keeps the default
  if (typeof stored === 'string' && stored.startsWith('torch.')) {
    if (!Object.hasOwn(ACTIVATIONS, stored)) {
      throw new Error(`${source}: activation_fn "${stored}" is not supported (supported: ${Object.keys(ACTIVATIONS).join(', ')})`);
    }
    activation = ACTIVATIONS[stored];
  }
  return { head: { kind: 'classifier', ...CLASSIFIERS[architecture], numLabels }, activation, labels };
}

export type TextPair = readonly [string, string];

export interface PredictOptions {
  /** Pairs per forward pass (default 32), at most TOKENS_PER_BATCH tokens. Scores do not depend on it. */
  batchSize?: number;
  /** Applied to the logits instead of the model's own activation. */
  activation?: ScoreActivation;
  /** With more than one label: softmax over each pair's (activated) scores. */
  applySoftmax?: boolean;
}

export interface RankOptions {
  /** Return only the best topK documents (default all). */
  topK?: number;
  /** Put each document's text in its result. */
  returnDocuments?: boolean;
  batchSize?: number;
  activation?: ScoreActivation;
}

export interface RankedDocument {
  /** The document's index in `documents` (sentence-transformers corpus_id). */
  corpusId: number;
  score: number;
  /** The document, when returnDocuments is set. */
  text?: string;
}

function activate(activation: ScoreActivation, value: number): number {
  switch (activation) {
    case 'sigmoid':
      return 1 / (1 + Math.exp(-value));
    case 'tanh':
      return Math.tanh(value);
    case 'identity':
      return value;
  }
}

function softmax(values: number[]): number[] {
  const largest = Math.max(...values);
  const exps = values.map((value) => Math.exp(value - largest));
  const sum = exps.reduce((total, value) => total + value, 0);
  return exps.map((value) => value / sum);
}

const isPair = (value: unknown): value is TextPair =>
  Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string';

export class CrossEncoder {
  /** Scores per pair: 1 for a relevance model, one per label for a classifier. */
  readonly numLabels: number;

  constructor(
    private readonly runner: BatchRunner,
    private readonly tokenizer: Tokenizer,
    private readonly config: CrossEncoderConfig,
    /** Word pieces per pair, special tokens included; longer pairs are truncated, longest text first. */
    readonly maxSeqLength: number,
    /** The precision of the encoder's Linear layers. */
    readonly dtype: Dtype = 'fp32',
  ) {
    this.numLabels = config.head.numLabels;
  }

  /** Which kernel backend runs this model. */
  get backend(): BackendName {
    return this.runner.backend;
  }

  /** The activation predict() applies by default. */
  get activation(): ScoreActivation {
    return this.config.activation;
  }

  /** Label names by index (config.json id2label). */
  get labels(): readonly string[] {
    return this.config.labels;
  }

  /** Stops the model's worker thread, if it has one; predict() fails afterwards. */
  close(): Promise<void> {
    return this.runner.close();
  }

  /**
   * Scores text pairs as CrossEncoder.predict does: one number per pair for a one-label model,
   * else one array of numLabels numbers per pair; a single pair gives its score alone.
   */
  predict(pair: TextPair, options?: PredictOptions): Promise<number | number[]>;
  predict(pairs: readonly TextPair[], options?: PredictOptions): Promise<number[] | number[][]>;
  async predict(input: TextPair | readonly TextPair[], options: PredictOptions = {}): Promise<number | number[] | number[][]> {
    if (isPair(input)) return (await this.predict([input], options))[0];
    if (!Array.isArray(input)) throw new TypeError('predict(pairs): pairs must be an array of [text, text] pairs');
    input.forEach((pair, i) => {
      if (!isPair(pair)) throw new TypeError(`predict(pairs): pairs[${i}] is not a [text, text] pair of strings`);
    });
    const { batchSize = 32, activation = this.config.activation, applySoftmax = false } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`predict: batchSize must be a positive integer, got ${batchSize}`);
    if (!Object.values(ACTIVATIONS).includes(activation)) {
      throw new RangeError(`predict: activation must be one of ${Object.values(ACTIVATIONS).join(', ')}, got ${String(activation)}`);
    }
    const tokenized: { ids: Int32Array; typeIds: Int32Array }[] = [];
    for (const [first, second] of input) {
      tokenized.push(this.tokenizer.encodePair(first, second, this.maxSeqLength));
      if (tokenized.length % 64 === 0) await nextTurn();
    }
    const lengths = tokenized.map(({ ids }) => ids.length);
    const logits = await runSortedBatches(lengths, { maxBatchSize: batchSize, maxBatchTokens: TOKENS_PER_BATCH },
      (batch) => this.runner.run(batch.map((i) => tokenized[i].ids), { typeIds: batch.map((i) => tokenized[i].typeIds) }));
    const scores = logits.map((row) => Array.from(row, (value) => activate(activation, value)));
    if (this.numLabels === 1) return scores.map((row) => row[0]);
    return applySoftmax ? scores.map(softmax) : scores;
  }

  /** The documents by their score against `query`, best first, as CrossEncoder.rank orders them. */
  async rank(query: string, documents: readonly string[], options: RankOptions = {}): Promise<RankedDocument[]> {
    if (this.numLabels !== 1) {
      throw new Error(`rank() needs a model with one label; this one has ${this.numLabels}: score pairs with predict()`);
    }
    if (typeof query !== 'string') throw new TypeError(`rank(query, documents): query must be a string, got ${typeof query}`);
    if (!Array.isArray(documents)) throw new TypeError('rank(query, documents): documents must be an array of strings');
    const { topK, returnDocuments = false, batchSize, activation } = options;
    if (topK !== undefined && !(Number.isInteger(topK) && topK >= 1)) throw new RangeError(`rank: topK must be a positive integer, got ${topK}`);
    const scores = await this.predict(documents.map((document) => [query, document] as const), { batchSize, activation }) as number[];
    const ranked = scores.map((score, corpusId): RankedDocument => (returnDocuments ? { corpusId, score, text: documents[corpusId] } : { corpusId, score }));
    // a stable sort, as Python's sorted(reverse=True) is: equal scores keep document order
    ranked.sort((a, b) => b.score - a.score);
    return ranked.slice(0, topK);
  }
}
