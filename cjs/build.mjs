// The CommonJS entries (`npm run build`, after tsc): `require('sentvec')` and
// `require('sentvec/ai-sdk')` on Node 18+, whose require() cannot load ES modules. esbuild bundles
// the compiled ES modules of dist/src into dist/src/index.cjs and dist/src/adapters/ai-sdk.cjs,
// each beside its ES twin, and the declarations they reach are copied as .d.cts files.
//
// Files sentvec finds at run time stay where they are: each module's `import.meta.url` becomes the
// URL of its own compiled file, so the .wasm files, the native addon and the encode worker resolve
// as they do from the ES build, and the modules imported through a variable (quantize.js,
// worker-runner.js; Node-only, hidden from bundlers) are loaded from dist/src as ES modules.
// The ai-sdk entry requires index.cjs rather than a copy of it, so both share one SentenceModel.
// sentvec/langchain and sentvec/llamaindex stay ES only: they await their framework at top level.
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'src');
const ENTRIES = ['index', 'adapters/ai-sdk'];
const INDEX = path.join(dist, 'index.js');

// Defined at the bundle's top level, where `require` is CommonJS's own: a bundled module may name a
// local `require` of its own (createRequire), which an inline require() would then reach.
const FILE_URL = '__sentvecFileUrl';
const FILE_URL_FUNCTION = `function ${FILE_URL}(fromBundle) {
  return require('node:url').pathToFileURL(require('node:path').join(__dirname, fromBundle)).href;
}`;

/** Replaces `import.meta.url` in every bundled file by the URL of that file, computed from the bundle's __dirname. */
function importMetaUrlOf(outDir) {
  return {
    name: 'import-meta-url',
    setup(build) {
      build.onLoad({ filter: /\.js$/ }, async ({ path: file }) => {
        const fromBundle = JSON.stringify(path.relative(outDir, file).split(path.sep).join('/'));
        const url = `${FILE_URL}(${fromBundle})`;
        return { contents: (await fs.promises.readFile(file, 'utf8')).replaceAll('import.meta.url', url), loader: 'js' };
      });
    },
  };
}

/** Leaves dist/src/index.js out of every bundle but its own, as a require() of index.cjs. */
function sharedIndex(outDir) {
  return {
    name: 'shared-index',
    setup(build) {
      build.onResolve({ filter: /index\.js$/ }, ({ path: specifier, resolveDir, kind }) => {
        if (kind === 'entry-point' || path.resolve(resolveDir, specifier) !== INDEX) return undefined;
        const relative = path.relative(outDir, path.join(dist, 'index.cjs')).split(path.sep).join('/');
        return { path: relative.startsWith('.') ? relative : `./${relative}`, external: true };
      });
    },
  };
}

for (const entry of ENTRIES) {
  const outfile = path.join(dist, `${entry}.cjs`);
  const outDir = path.dirname(outfile);
  await esbuild.build({
    entryPoints: [path.join(dist, `${entry}.js`)],
    outfile,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node18',
    packages: 'external',
    banner: { js: FILE_URL_FUNCTION },
    plugins: [importMetaUrlOf(outDir), sharedIndex(outDir)],
    logLevel: 'warning',
  });
}

// Declarations: every .d.ts the entries reach, as a .d.cts whose relative imports name .cjs files,
// so TypeScript reads them as CommonJS (a .d.cts may not import an ES declaration file).
const RELATIVE_JS = /((?:from |import\()['"])(\.{1,2}\/[^'"]+)\.js(['"])/g;
const pending = ENTRIES.map((entry) => path.join(dist, `${entry}.d.ts`));
const copied = new Set();
while (pending.length > 0) {
  const file = pending.pop();
  if (copied.has(file)) continue;
  copied.add(file);
  const declarations = fs.readFileSync(file, 'utf8');
  for (const [, , specifier] of declarations.matchAll(RELATIVE_JS)) pending.push(path.resolve(path.dirname(file), `${specifier}.d.ts`));
  fs.writeFileSync(file.replace(/\.d\.ts$/, '.d.cts'), declarations.replace(RELATIVE_JS, '$1$2.cjs$3'));
}
