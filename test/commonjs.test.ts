// CommonJS on Node 18+, which cannot require() an ES module: a .cjs program that requires sentvec
// by name (through the exports map, as from node_modules) embeds as PyTorch does, and a TypeScript
// CommonJS module type-checks against the .d.cts declarations (cjs/build.mjs makes both).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test from 'tape';
import { checkpointDir, folderWithSentvec, projectRoot } from './fixtures.js';
import { agreement, embeddingGolden } from './goldens.js';
import { nativeAddonOrSkip } from './native-addon.js';

const MAX_ABS = 1e-5;
const dir = checkpointDir('all-MiniLM-L6-v2');
const golden = embeddingGolden('all-MiniLM-L6-v2');
const texts = golden.texts.slice(0, 4);

test("require('sentvec') from a .cjs file embeds as sentence-transformers does", async (t) => {
  const folder = folderWithSentvec('sentvec-cjs-');
  try {
    fs.copyFileSync(path.join(projectRoot, 'test', 'commonjs', 'embed.cjs'), path.join(folder, 'embed.cjs'));
    const backends = (await nativeAddonOrSkip(t)) ? ['native', 'wasm'] : ['wasm'];
    for (const backend of backends) {
      const run = spawnSync(process.execPath, ['embed.cjs', dir, backend], {
        cwd: folder, input: JSON.stringify(texts), encoding: 'utf8', timeout: 120_000,
      });
      if (run.status !== 0) {
        t.fail(`${backend}: embed.cjs exited with ${run.status}: ${run.stderr}`);
        continue;
      }
      const found = JSON.parse(run.stdout);
      t.deepEqual(found.entries, ['index.cjs', 'adapters/ai-sdk.cjs'].map((file) => path.join(projectRoot, 'dist', 'src', file)),
        `${backend}: require() resolved sentvec and sentvec/ai-sdk to their CommonJS entries`);
      t.ok(found.isSentenceModel, `${backend}: load() gives a SentenceModel of the required module`);
      t.equal(found.backend, backend, `${backend}: the model runs on ${backend}`);
      const vectors = found.vectors.map((vector: number[]) => Float32Array.from(vector));
      const { maxAbs } = agreement(vectors, golden.vectors);
      t.ok(maxAbs <= MAX_ABS, `${backend}: ${vectors.length} texts, max |Δ| ${maxAbs.toExponential(2)} ≤ ${MAX_ABS} against the golden`);
      t.deepEqual(found.adapterVectors, found.vectors, `${backend}: sentvec/ai-sdk takes that model and gives the same vectors`);
    }
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
});

test('a TypeScript CommonJS module type-checks against sentvec (module node16)', (t) => {
  const folder = folderWithSentvec('sentvec-cts-');
  try {
    fs.copyFileSync(path.join(projectRoot, 'test', 'commonjs', 'consumer.cts'), path.join(folder, 'consumer.cts'));
    fs.writeFileSync(path.join(folder, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        module: 'node16', moduleResolution: 'node16', target: 'ES2022', strict: true, noEmit: true,
        skipLibCheck: false, types: ['node'], typeRoots: [path.join(projectRoot, 'node_modules', '@types')],
      },
      files: ['consumer.cts'],
    }));
    const tsc = path.join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    const run = spawnSync(process.execPath, [tsc, '-p', folder], { encoding: 'utf8', timeout: 120_000 });
    t.equal(run.status, 0, `tsc found no error${run.status === 0 ? '' : `:\n${run.stdout}${run.stderr}`}`);
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
    t.end();
  }
});
