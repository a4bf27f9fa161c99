// The measurements a worker process makes, the same for every JavaScript engine; worker.py makes
// the same ones for sentence-transformers.
//   vectors: encode every sentence at batch 32, write the vectors, report peak RSS.
//   timing:  sentences/s per batch size on a prefix of the sentences; the batch-1 calls double as
//            single-query latencies.
//   cold:    the first vector of a fresh process; the parent times from spawn to this answer.
import fs from 'node:fs';

export async function runTask(spec, loadModel) {
  const sentences = JSON.parse(fs.readFileSync(spec.sentencesFile, 'utf8'));
  const model = await loadModel();
  if (spec.task === 'cold') {
    const [vector] = await model.encode(sentences.slice(0, 1));
    return { dimension: vector.length };
  }
  if (spec.task === 'vectors') {
    const vectors = [];
    for (let start = 0; start < sentences.length; start += spec.batchSize) {
      vectors.push(...(await model.encode(sentences.slice(start, start + spec.batchSize))));
    }
    const flat = new Float32Array(vectors.length * vectors[0].length);
    vectors.forEach((vector, index) => flat.set(vector, index * vector.length));
    fs.writeFileSync(spec.vectorsFile, flat);
    return { count: vectors.length, dimension: vectors[0].length, peakRssBytes: process.resourceUsage().maxRSS * 1024 };
  }
  if (spec.task === 'timing') {
    const throughput = {};
    let latenciesMs = [];
    for (const [batchSize, count] of spec.batches) {
      const batches = [];
      for (let start = 0; start < count; start += batchSize) batches.push(sentences.slice(start, Math.min(start + batchSize, count)));
      // One untimed batch first: the first run of a shape allocates and plans.
      await model.encode(batches[0]);
      const callsMs = [];
      for (const batch of batches) {
        const begin = performance.now();
        await model.encode(batch);
        callsMs.push(performance.now() - begin);
      }
      throughput[batchSize] = (count / callsMs.reduce((sum, ms) => sum + ms, 0)) * 1000;
      if (batchSize === 1) latenciesMs = callsMs;
    }
    return { throughput, latenciesMs };
  }
  throw new Error(`unknown task ${spec.task}; expected cold, vectors or timing`);
}
