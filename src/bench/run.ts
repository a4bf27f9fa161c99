// One bench run: the machine, the FMA peaks, the kernel suite and the model suite, as one JSON
// document (BenchReport) that `sentvec bench --json` writes and `--compare` reads back.
import fs from 'node:fs';
import path from 'node:path';
import type { BackendName, WeightFormat } from '../backend/kernels.js';
import type { Dtype } from '../load-graph.js';
import { benchmarkModule, type Sampling } from './harness.js';
import { kernelCases, kernelTargets, measurePeaks, MINILM_SHAPE, runKernelSuite, type KernelBatch, type KernelResult, type ModelShape, type Peak } from './kernels.js';
import { busyWarning, describeMachine, finish, type Machine } from './machine.js';
import { modelCells, runModelCell, type ModelResult } from './model.js';

export const SCHEMA = 'sentvec-bench/1';

export interface BenchSettings {
  /** A model folder (or whatever load() accepts); undefined runs the kernel suite only. */
  model?: string;
  backends: BackendName[];
  dtypes: Dtype[];
  threads: number[];
  kernels: boolean;
  models: boolean;
  kernelSampling: Sampling;
  kernelBatch: KernelBatch;
  /** The encoder sizes the kernels run at; default: the --model folder's config.json, else all-MiniLM-L6-v2's. */
  shape?: ModelShape;
  modelSampling: Sampling;
  batches: number[];
  coldRuns: number;
  latencyQueries: number;
  sentences: string[];
  /** Where the sentences came from: 'built-in' or the --input file. */
  sentencesSource: string;
}

export interface BenchReport {
  schema: typeof SCHEMA;
  createdAt: string;
  machine: Machine;
  settings: Omit<BenchSettings, 'sentences'> & { sentenceCount: number; shape: ModelShape };
  peaks: Peak[];
  kernels: KernelResult[];
  models: ModelResult[];
  /** Backends or suites that could not run here, and why. */
  skipped: string[];
  warnings: string[];
  seconds: number;
}

const FORMATS: Record<Dtype, WeightFormat> = { fp32: 'f32', int8: 'i8' };

/** The encoder sizes of a model folder's config.json, or all-MiniLM-L6-v2's where there is none. */
export function modelShape(model: string | undefined): ModelShape {
  if (model === undefined) return MINILM_SHAPE;
  const file = path.join(model, 'config.json');
  if (!fs.existsSync(file)) return MINILM_SHAPE;
  const config = JSON.parse(fs.readFileSync(file, 'utf8'));
  return {
    source: file, C: config.hidden_size, F: config.intermediate_size, NH: config.num_attention_heads,
    V: config.vocab_size, P: config.max_position_embeddings,
  };
}

/** `count` sentences, cycling through `sentences`: enough for the largest batch. */
function fill(sentences: string[], count: number): string[] {
  return Array.from({ length: count }, (_, i) => sentences[i % sentences.length]);
}

export async function runBench(settings: BenchSettings, progress: (line: string) => void = () => {}): Promise<BenchReport> {
  const started = performance.now();
  const machine = describeMachine(benchmarkModule().version);
  const shape = settings.shape ?? modelShape(settings.model);
  const { sentences, ...rest } = settings;
  const report: BenchReport = {
    schema: SCHEMA, createdAt: new Date().toISOString(), machine,
    settings: { ...rest, sentenceCount: sentences.length, shape }, peaks: [], kernels: [], models: [], skipped: [], warnings: [], seconds: 0,
  };
  if (settings.kernels) {
    const { targets, addon, skipped } = await kernelTargets(settings.backends, settings.threads);
    report.skipped.push(...skipped);
    if (addon) {
      progress('FMA peaks');
      report.peaks = measurePeaks(addon, settings.threads);
    }
    const cases = kernelCases(shape, settings.dtypes.map((dtype) => FORMATS[dtype]), settings.kernelBatch);
    // each native target switches the process's ISA level and threads: put them back after
    const initial = addon && { isa: addon.isa(), threads: addon.threads() };
    try {
      report.kernels = await runKernelSuite(targets, cases, report.peaks, settings.kernelSampling, (label) => progress(`kernels: ${label}`));
    } finally {
      if (addon && initial) {
        addon.setIsa(initial.isa);
        addon.setThreads(initial.threads);
      }
    }
  }
  if (settings.models) {
    if (settings.model === undefined) {
      report.skipped.push('model suite: no --model given');
    } else {
      const modelBackends = settings.backends.filter((backend) => backend !== 'js' || settings.backends.length === 1);
      if (modelBackends.length < settings.backends.length) report.skipped.push('model suite on js: the reference backend is too slow for it (--backend js alone runs it)');
      const batchSentences = fill(sentences, Math.max(...settings.batches));
      for (const cell of modelCells(modelBackends, settings.dtypes, settings.threads)) {
        progress(`model: ${cell.backend} ${cell.dtype} ×${cell.threads}`);
        report.models.push(await runModelCell(cell, {
          model: settings.model, sentences: batchSentences, batches: settings.batches, sampling: settings.modelSampling,
          coldRuns: settings.coldRuns, latencyQueries: settings.latencyQueries,
        }));
      }
    }
  }
  finish(machine);
  const warning = busyWarning(machine, Math.max(...settings.threads));
  if (warning) report.warnings.push(warning);
  report.seconds = (performance.now() - started) / 1000;
  return report;
}
