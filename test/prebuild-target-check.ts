// Run by prebuild-targets.test.ts inside another platform's runtime (an arm64 Node under qemu, a
// musl Bun): that platform's prebuild must be what loads, pass every kernel's parity at each ISA
// level it runs, and give all-MiniLM-L6-v2's vectors for 64 STS-B sentences within 1e-5 of
// sentence-transformers. argv[2] names the prebuild expected (linux-arm64, linux-x64-musl, …).
import test from 'tape';
import { backendReport, load } from '../src/index.js';
import { loadNativeAddon, nativeKernels } from '../src/backend/native.js';
import { checkParity } from './parity-cases.js';
import { checkpointDir } from './fixtures.js';
import { agreement, embeddingGolden } from './goldens.js';

const target = process.argv[2];
const SENTENCES = 64;
const MAX_ABS = 1e-5;

test(`${target}: the prebuild loads`, async (t) => {
  const report = await backendReport();
  t.equal(report.backend, 'native', `backend ${report.backend}${report.skipped.length ? ` (skipped: ${report.skipped.join('; ')})` : ''}`);
  t.ok(report.addon?.replaceAll('\\', '/').endsWith(`prebuilds/${target}/sentvec.node`), `addon ${report.addon}`);
});

test(`${target}: kernel parity at every ISA level`, async (t) => {
  const addon = await loadNativeAddon();
  const initial = addon.isa();
  for (const level of addon.isaLevels().filter((l) => l.supported)) {
    addon.setIsa(level.name);
    t.comment(`ISA level ${level.name}`);
    checkParity(t, nativeKernels(addon));
  }
  addon.setIsa(initial);
});

test(`${target}: all-MiniLM-L6-v2 on ${SENTENCES} STS-B sentences matches sentence-transformers`, async (t) => {
  const golden = embeddingGolden('all-MiniLM-L6-v2');
  const model = await load(checkpointDir('all-MiniLM-L6-v2'));
  try {
    const vectors = await model.encode(golden.texts.slice(0, SENTENCES), { batchSize: 32 });
    const { maxAbs, worst } = agreement(vectors, golden.vectors);
    t.ok(maxAbs <= MAX_ABS, `${model.backend}: max |Δ| ${maxAbs.toExponential(2)} ≤ ${MAX_ABS} (worst text ${worst})`);
  } finally {
    await model.close();
  }
});
