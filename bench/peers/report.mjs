// Renders a bench:peers report (the object run.mjs writes to peers.json) as markdown and as a
// hand-written SVG bar chart, so the results need no plotting dependency.
const BATCH_SIZES = ['1', '8', '32', '128'];
const BAR_COLORS = ['#9ecae1', '#6baed6', '#3182bd', '#08519c'];

const mebibytes = (bytes) => (bytes === undefined ? '–' : (bytes / 2 ** 20).toFixed(0));
const fixed = (value, digits) => (value === undefined ? '–' : value.toFixed(digits));
const rate = (value) => (value === undefined ? '–' : value >= 100 ? value.toFixed(0) : value.toFixed(1));
const delta = (entry) => {
  if (entry.maxAbsDelta === undefined) return '–';
  if (entry.maxAbsDelta === 0) return 'reference';
  return `${entry.maxAbsDelta.toExponential(1)}${entry.flagged ? ' ⚠' : ''}`;
};

function engineLabel(report, id) {
  return report.engines.find((engine) => engine.id === id)?.label ?? id;
}

const cell = (text) => text.replaceAll('|', '\\|');
const machineLine = ({ cpu, isa, cores, node }) => `${cpu}${isa?.length ? ` (${isa.join(', ')})` : ''}, ${cores} cores, Node ${node}`;
const loadLine = (loadAverage) =>
  loadAverage
    ? `The 1-minute load average before the timed runs was ${fixed(loadAverage.min, 1)}–${fixed(loadAverage.max, 1)}: above about 0.5, other processes shared the cores and the speeds below are lower than on an idle machine.`
    : 'Nothing was timed.';

/** Lines for a model's engines that have a first result (`started`) but failed after it; a blank line first. */
function unfinished(model, started, what) {
  const entries = model.results.filter((entry) => entry.error && started(entry));
  return entries.length > 0 ? ['', ...entries.map((entry) => `${what}: ${entry.error}.`)] : [];
}

export function renderMarkdown(report) {
  const { subsets, tolerance, threads, machine, loadAverage } = report;
  const lines = [
    '# sentvec against its peers',
    '',
    `Measured ${report.startedAt.slice(0, 16).replace('T', ' ')} UTC on ${machineLine(machine)}, in ${report.minutes.toFixed(1)} min by \`npm run bench:peers\`${report.int8 ? ' (section peers; the int8 section below has its own date)' : ''}.`,
    `Every engine runs with ${threads} threads in a process of its own, fp32, on STS-B test sentences (columns 6 and 7, ${subsets.sentences} sentences).`,
    loadLine(loadAverage),
    '',
    'How each number is made:',
    `- **max |Δ|**: largest difference of any vector component from sentence-transformers on the first ${subsets.check} sentences at batch 32; ⚠ marks more than ${tolerance}. Checked before timing; a flagged engine is still timed.`,
    `- **sentences/s**: batch 8, 32 and 128 over the first ${subsets.throughput} sentences; batch 1 over the first ${subsets.latency} only (a subset, to keep the run short), after one untimed batch of each size. Batches are the same for every engine, in data set order.`,
    `- **p50 / p99**: single-query latency from those ${subsets.latency} batch-1 calls (so p99 is close to their maximum).`,
    `- **cold start**: new process to first vector (runtime start, imports, model load, one sentence), median of ${subsets.coldStarts}.`,
    `- **peak RSS**: of the process that loads the model and encodes the ${subsets.check} checked sentences at batch 32.`,
    '',
  ];

  for (const model of report.models.filter((candidate) => candidate.timed)) {
    lines.push(`## ${model.label}`, '');
    lines.push('| engine | max \\|Δ\\| | sent/s b1 | b8 | b32 | b128 | p50 ms | p99 ms | cold start ms | peak RSS MiB |');
    lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const entry of model.results) {
      const label = engineLabel(report, entry.engine);
      if (entry.error && entry.maxAbsDelta === undefined) {
        lines.push(`| ${label} | not run: ${cell(entry.error)} |||||||||`);
        continue;
      }
      const speeds = BATCH_SIZES.map((batchSize) => rate(entry.sentencesPerSecond?.[batchSize]));
      lines.push(
        `| ${label} | ${delta(entry)} | ${speeds.join(' | ')} | ${fixed(entry.latencyMs?.p50, 1)} | ${fixed(entry.latencyMs?.p99, 1)} | ${fixed(entry.coldStartMs, 0)} | ${mebibytes(entry.peakRssBytes)} |`,
      );
    }
    lines.push(...unfinished(model, (entry) => entry.maxAbsDelta !== undefined, 'Checked but not fully timed'));
    lines.push('');
  }

  if (report.oneThread) {
    const engines = report.oneThreadEngines;
    lines.push('## One thread, batch 32', '');
    lines.push(`Sentences/s over the first ${subsets.throughput} sentences, every engine on a single thread: the WASM builds, with sentvec native for scale.`, '');
    lines.push(`| model | ${engines.map((engine) => engine.label).join(' | ')} |`);
    lines.push(`| --- |${engines.map(() => ' ---: |').join('')}`);
    for (const row of report.oneThread) {
      const cells = engines.map((engine) => (row.errors[engine.id] ? `not run: ${cell(row.errors[engine.id])}` : rate(row.sentencesPerSecond[engine.id])));
      lines.push(`| ${row.label} | ${cells.join(' | ')} |`);
    }
    lines.push('');
  }

  const checked = report.models.filter((model) => !model.timed);
  if (checked.length > 0) {
    lines.push('## Checked, not timed', '', 'Same graphs as above with other pooling or real weights: max |Δ| against sentence-transformers, peak RSS in MiB.', '');
    lines.push(`| engine | ${checked.map((model) => model.label).join(' | ')} |`);
    lines.push(`| --- |${checked.map(() => ' ---: |').join('')}`);
    for (const { id } of report.engines) {
      const cells = checked.map((model) => {
        const entry = model.results.find((result) => result.engine === id);
        if (!entry) return '–';
        return entry.maxAbsDelta === undefined ? `not run: ${entry.error ?? ''}` : `${delta(entry)}, ${mebibytes(entry.peakRssBytes)} MiB`;
      });
      lines.push(`| ${engineLabel(report, id)} | ${cells.join(' | ')} |`);
    }
    lines.push('');
  }

  if (report.int8) lines.push(...int8Markdown(report.int8));
  if (report.wasmInt8) lines.push(...wasmInt8Markdown(report.wasmInt8));

  lines.push('## Installed size', '', 'What each engine needs on disk besides the model files: the package and everything it pulls in, as installed here.', '');
  lines.push('| engine | installed MiB |', '| --- | ---: |');
  for (const engine of report.engines) {
    const note = engine.cudaLibraryBytes ? ` (of which ${mebibytes(engine.cudaLibraryBytes)} MiB CUDA libraries: nvidia-*, triton; this torch is a CUDA build)` : '';
    lines.push(`| ${engine.label} | ${engine.error ? `not measured: ${engine.error}` : `${mebibytes(engine.installedBytes)}${note}`} |`);
  }
  lines.push(
    '',
    'Notes:',
    '- MiniLM-L12 is `minilm-l12-random`: the exact all_datasets_v3_MiniLM-L12 architecture with seeded random weights (weights/make-random-minilm-l12.mjs), standing in for the real checkpoint, which is not redistributed on PyPI. Speeds and memory match the real model; its vectors mean nothing.',
    '- The ONNX engines run `weights/export-onnx.py` exports (torch.onnx.export, eager attention, checked against PyTorch) of the same safetensors; the multi-qa layout shares the all-mpnet-base-v2 weights.',
    '',
  );
  return lines.join('\n');
}

function int8Markdown(section) {
  const { subsets, threads } = section;
  const engine = (id) => section.engines.find((candidate) => candidate.id === id) ?? { label: id };
  const lines = [
    '## int8 against fp32',
    '',
    `Measured ${section.startedAt.slice(0, 16).replace('T', ' ')} UTC on ${machineLine(section.machine)}, in ${section.minutes.toFixed(1)} min by \`npm run bench:peers\` (section int8).`,
    loadLine(section.loadAverage),
    `Each engine runs its own int8 recipe (see the notes), with ${threads} threads in a process of its own, and encodes all ${subsets.sentences} STS-B test sentences (${subsets.pairs} pairs) at batch 32:`,
    `- **Spearman ×100**: of the cosine of each pair's two vectors against the gold similarity scores.`,
    `- **mean cos / 1st pct**: cosine of each sentence's vector to its fp32 vector from ${section.reference.label}: the mean and the 1st percentile over the ${subsets.sentences} sentences.`,
    `- **sentences/s**: batch 1 over the first ${subsets.latency} sentences, larger batches over the first ${subsets.throughput}, after one untimed batch of each size${subsets.rounds ? `; the median of ${subsets.rounds} rounds in which a model's engines take turns, so a slow minute of a shared machine falls on all of them (the slowest and fastest round are in peers.json)` : ''}.`,
    `- **peak RSS**: of the process that loads the model and encodes the ${subsets.sentences} sentences.`,
    '',
  ];
  const batchSizes = subsets.batchSizes.map(String);
  for (const model of section.models) {
    lines.push(`### ${model.label}`, '');
    if (model.error) {
      lines.push(`Not run: ${model.error}.`, '');
      continue;
    }
    lines.push(`| engine | weights | STS-B Spearman ×100 | mean cos | 1st pct | ${batchSizes.map((batchSize, index) => (index === 0 ? `sent/s b${batchSize}` : `b${batchSize}`)).join(' | ')} | peak RSS MiB |`);
    lines.push(`| --- | --- | ---: | ---: | ---: |${batchSizes.map(() => ' ---: |').join('')} ---: |`);
    const untimed = batchSizes.map(() => '–').join(' | ');
    lines.push(`| ${section.reference.label} | fp32 (reference) | ${fixed(model.reference.spearman, 2)} | 1 | 1 | ${untimed} | ${mebibytes(model.reference.peakRssBytes)} |`);
    for (const entry of model.results) {
      const { label, weights } = engine(entry.engine);
      if (entry.spearman === undefined) {
        lines.push(`| ${label} | ${weights} | not run: ${cell(entry.error ?? 'no result')} ||||${batchSizes.map(() => '|').join('')}`);
        continue;
      }
      const speeds = batchSizes.map((batchSize) => rate(entry.sentencesPerSecond?.[batchSize]));
      lines.push(`| ${label} | ${weights} | ${fixed(entry.spearman, 2)} | ${fixed(entry.meanCosine, 5)} | ${fixed(entry.p1Cosine, 5)} | ${speeds.join(' | ')} | ${mebibytes(entry.peakRssBytes)} |`);
    }
    lines.push(...unfinished(model, (entry) => entry.spearman !== undefined, 'Scored but not timed'));
    lines.push('');
  }
  lines.push(
    'Notes:',
    '- sentvec int8: `load(dir, { dtype: \'int8\' })`, the Linear layers in q8_0 blocks of 32 (weights quantized at load, activations per token); the wasm backend is the SIMD module (Node 20 runs relaxed SIMD only behind a flag).',
    '- onnxruntime int8: `onnx/model_qint8_avx512_vnni.onnx`, onnxruntime.quantization.quantize_dynamic of the fp32 export as Optimum\'s avx512_vnni config makes it (QInt8 weights per output channel, full range; QUInt8 activations quantized per call): the file sentence-transformers\' export_dynamic_quantized_onnx_model writes.',
    '- transformers.js q8: `dtype: \'q8\'` loads `onnx/model_quantized.onnx`, made as transformers.js\'s scripts/convert.py --quantize makes it for BERT and MPNet (per channel, reduce_range: 7-bit QInt8 weights; QUInt8 activations).',
    '- llama.cpp: the checkpoint converted by the convert_hf_to_gguf.py of the pinned llama-cpp-python\'s llama.cpp to q8_0, pooling from the checkpoint\'s modules.json, vectors normalized as the Normalize module does; 512-token context and batch; built from source with GGML_NATIVE.',
    '',
  );
  return lines;
}

function wasmInt8Markdown(section) {
  const { subsets } = section;
  const engine = (id) => section.engines.find((candidate) => candidate.id === id);
  const named = (id) => `${engine(id).label}, ${engine(id).weights}`;
  const batchSizes = subsets.batchSizes.map(String);
  const lines = [
    '## WASM on one thread, int8 against fp32',
    '',
    `Measured ${section.startedAt.slice(0, 16).replace('T', ' ')} UTC on ${machineLine(section.machine)}, in ${section.minutes.toFixed(1)} min by \`npm run bench:peers\` (section wasm-int8).`,
    loadLine(section.loadAverage),
    'The WASM engines, each on a single thread in a process of its own, as a page without worker threads runs them:',
    `- **mean cos / lowest cos**: cosine of each of the first ${subsets.check} STS-B test sentences' vectors (batch 32) to sentence-transformers' fp32 vector.`,
    `- **sentences/s**: batch 1 over the first ${subsets.latency} sentences, larger batches over the first ${subsets.throughput}; the median of ${subsets.rounds} round${subsets.rounds === 1 ? '' : 's'} in which a model's engines take turns.`,
    '- **speed-up**: an int8 engine\'s sentences/s divided by another engine\'s, batch by batch.',
    '',
  ];
  for (const model of section.models) {
    lines.push(`### ${model.label}`, '');
    if (model.error) {
      lines.push(`Not run: ${model.error}.`, '');
      continue;
    }
    lines.push(`| engine | weights | mean cos | lowest cos | ${batchSizes.map((batchSize, index) => (index === 0 ? `sent/s b${batchSize}` : `b${batchSize}`)).join(' | ')} |`);
    lines.push(`| --- | --- | ---: | ---: |${batchSizes.map(() => ' ---: |').join('')}`);
    for (const entry of model.results) {
      const { label, weights } = engine(entry.engine);
      if (entry.meanCosine === undefined) {
        lines.push(`| ${label} | ${weights} | not run: ${cell(entry.error ?? 'no result')} ||${batchSizes.map(() => '|').join('')}`);
        continue;
      }
      const speeds = batchSizes.map((batchSize) => rate(entry.sentencesPerSecond?.[batchSize]));
      lines.push(`| ${label} | ${weights} | ${fixed(entry.meanCosine, 5)} | ${fixed(entry.minCosine, 5)} | ${speeds.join(' | ')} |`);
    }
    const speedOf = (id) => model.results.find((entry) => entry.engine === id)?.sentencesPerSecond;
    const speedUps = section.engines.flatMap(({ id, baselines = [] }) => baselines.map((baseline) => [id, baseline]))
      .filter(([id, baseline]) => speedOf(id) && speedOf(baseline));
    if (speedUps.length > 0) {
      lines.push('', `| speed-up | against | ${batchSizes.map((batchSize) => `b${batchSize}`).join(' | ')} |`);
      lines.push(`| --- | --- |${batchSizes.map(() => ' ---: |').join('')}`);
      for (const [id, baseline] of speedUps) {
        const ratios = batchSizes.map((batchSize) => `${fixed(speedOf(id)[batchSize] / speedOf(baseline)[batchSize], 2)}×`);
        lines.push(`| ${named(id)} | ${named(baseline)} | ${ratios.join(' | ')} |`);
      }
    }
    lines.push(...unfinished(model, (entry) => entry.meanCosine !== undefined, 'Checked but not timed'));
    lines.push('');
  }
  lines.push(
    'Notes:',
    '- sentvec: `load(dir, { backend: \'wasm\', dtype })` with `$SENTVEC_WASM` choosing the module; Node 20 runs the relaxed-SIMD one behind `--experimental-wasm-relaxed-simd`.',
    '- onnxruntime-web int8: the int8 section\'s `onnx/model_qint8_avx512_vnni.onnx`; `numThreads: 1`.',
    '',
  );
  return lines;
}

const escapeXml = (text) => text.replace(/[<>&"]/g, (character) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[character]);

export function renderSvg(report) {
  // One panel per timed model of each section: a title and, per engine, its speeds by batch size.
  const panels = [
    ...report.models.filter((model) => model.timed).map((model) => ({
      title: `${model.label}: sentences/s`,
      rows: model.results.map((entry) => ({ label: `${entry.engine}${entry.flagged ? ` ⚠ |Δ| > ${report.tolerance}` : ''}`, speeds: entry.sentencesPerSecond })),
    })),
    ...(report.int8?.models ?? []).map((model) => ({
      title: `${model.label}, int8 against fp32 (${report.int8.startedAt.slice(0, 10)}): sentences/s`,
      rows: model.results.map((entry) => ({ label: entry.engine, speeds: entry.sentencesPerSecond })),
    })),
    ...(report.wasmInt8?.models ?? []).map((model) => ({
      title: `${model.label}, WASM on one thread, int8 against fp32 (${report.wasmInt8.startedAt.slice(0, 10)}): sentences/s`,
      rows: model.results.map((entry) => ({ label: entry.engine, speeds: entry.sentencesPerSecond })),
    })),
  ];
  const width = 900;
  const labelWidth = 230;
  const plotWidth = width - labelWidth - 70;
  const barHeight = 11;
  const groupHeight = BATCH_SIZES.length * barHeight + 14;
  const panelHeaderHeight = 34;
  const parts = [];
  let y = 58;

  BATCH_SIZES.forEach((batchSize, index) => {
    const x = labelWidth + index * 110;
    parts.push(`<rect x="${x}" y="34" width="12" height="12" fill="${BAR_COLORS[index]}"/>`);
    parts.push(`<text x="${x + 18}" y="44">batch ${batchSize}</text>`);
  });

  for (const panel of panels) {
    const maximum = Math.max(1, ...panel.rows.flatMap((row) => Object.values(row.speeds ?? {})));
    parts.push(`<text x="10" y="${y + 20}" font-weight="bold" font-size="14">${escapeXml(panel.title)}</text>`);
    y += panelHeaderHeight;
    for (const row of panel.rows) {
      parts.push(`<text x="${labelWidth - 8}" y="${y + groupHeight / 2}" text-anchor="end">${escapeXml(row.label)}</text>`);
      if (!row.speeds) {
        parts.push(`<text x="${labelWidth}" y="${y + groupHeight / 2}" fill="#888">not timed</text>`);
      } else {
        BATCH_SIZES.forEach((batchSize, index) => {
          const value = row.speeds[batchSize];
          if (value === undefined) return;
          const barY = y + 4 + index * barHeight;
          const barWidth = (value / maximum) * plotWidth;
          parts.push(`<rect x="${labelWidth}" y="${barY}" width="${barWidth.toFixed(1)}" height="${barHeight - 2}" fill="${BAR_COLORS[index]}"/>`);
          parts.push(`<text x="${(labelWidth + barWidth + 4).toFixed(1)}" y="${barY + barHeight - 3}" font-size="10">${rate(value)}</text>`);
        });
      }
      y += groupHeight;
    }
    y += 10;
  }

  const caption = (section, what) => {
    const busy = section.loadAverage?.max > 1 ? ' (a busy machine: speeds are low and noisy)' : '';
    const load = section.loadAverage ? `; load average ${fixed(section.loadAverage.min, 1)}–${fixed(section.loadAverage.max, 1)}${busy}` : '';
    return `${section.startedAt.slice(0, 10)}: ${section.threads} thread${section.threads === 1 ? '' : 's'} each, ${what}, STS-B test sentences; ${section.machine.cpu}, ${section.machine.cores} cores${load}.`;
  };
  const captions = [
    caption(report, 'fp32'),
    ...(report.int8 ? [caption(report.int8, 'int8 and fp32')] : []),
    ...(report.wasmInt8 ? [caption(report.wasmInt8, 'WASM int8 and fp32')] : []),
    'Details: peers.md',
  ];
  captions.forEach((text, index) => parts.push(`<text x="10" y="${y + 14 + 15 * index}" font-size="11" fill="#555">${escapeXml(text)}</text>`));
  const height = y + 14 + 15 * captions.length;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    '<text x="10" y="22" font-weight="bold" font-size="16">sentvec against its peers: throughput by batch size (higher is better)</text>',
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
