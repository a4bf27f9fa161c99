// sentvec through its public API, from the repository's own build (npm run build).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { checkpointFolder } from '../checkpoint.mjs';

const entryPoint = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../dist/src/index.js');

export async function load(checkpoint, { backend, dtype = 'fp32' }) {
  const sentvec = fs.existsSync(entryPoint) ? await import(pathToFileURL(entryPoint).href) : {};
  if (typeof sentvec.load !== 'function') throw new Error(`sentvec API not available yet: ${entryPoint} exports no load(); run \`npm run build\``);
  // The thread count comes from $SENTVEC_THREADS, which run.mjs sets for every worker.
  const model = await sentvec.load(checkpointFolder(checkpoint), { backend, dtype });
  if (model.backend !== backend) throw new Error(`sentvec loaded the ${model.backend} backend, not ${backend}`);
  if (model.dtype !== dtype) throw new Error(`sentvec runs ${model.dtype}, not ${dtype}`);
  return { encode: (texts) => model.encode(texts, { batchSize: texts.length }) };
}
