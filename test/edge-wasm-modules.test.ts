// load(src, { wasmModules }) as Workers and Vercel's edge use it: the WASM backend instantiates
// the modules it is handed, the most capable that validates here, and says which were given when
// none can run.
import fs from 'node:fs';
import path from 'node:path';
import test from 'tape';
import { loadWasmKernels, supportedWasmVariants, WASM_VARIANTS, type WasmModules } from '../src/backend/wasm.js';
import { projectRoot } from './fixtures.js';

const compiled = (variant: string) =>
  new WebAssembly.Module(fs.readFileSync(path.join(projectRoot, 'dist', 'wasm', `sentvec-${variant}.wasm`)));

test('wasmModules: the most capable module given that validates here is the one instantiated', async (t) => {
  const supported = supportedWasmVariants();
  const modules: WasmModules = Object.fromEntries(supported.map((variant) => [variant, compiled(variant)]));
  t.equal((await loadWasmKernels({ modules })).variant, supported[0], `all of ${supported.join(', ')} given: ${supported[0]} runs`);
  t.equal((await loadWasmKernels({ modules: { scalar: modules.scalar } })).variant, 'scalar', 'only scalar given: scalar runs');
  const unsupported = WASM_VARIANTS.filter((variant) => !supported.includes(variant));
  const onlyUnsupported = Object.fromEntries(unsupported.map((variant) => [variant, modules.scalar!]));
  await loadWasmKernels({ modules: onlyUnsupported }).then(
    () => t.fail('a set of modules none of which validates here was accepted'),
    (error: Error) => t.match(error.message, /none of the wasm modules given \(.*\) validates in this runtime; it supports: /, error.message),
  );
  await loadWasmKernels({ modules: { scalar: modules.scalar }, variant: 'simd' }).then(
    () => t.fail('a variant that was not given was accepted'),
    (error: Error) => t.match(error.message, /wasm variant 'simd' \(requested\) does not validate in this runtime or was not given; available: scalar/, error.message),
  );
});
