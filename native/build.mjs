// npm install hook: does nothing where the package's prebuild for this platform loads (no compiler
// runs; SENTVEC_BUILD_FROM_SOURCE=1 builds anyway). Else builds the native addon with cmake-js
// when cmake, a C++ compiler and the devDependencies cmake-js and node-addon-api are here.
// Without them, or if the build fails, it says so in one line and still succeeds, since
// sentvec then runs on its WASM/JS backend; SENTVEC_REQUIRE_NATIVE=1 (CI) makes that an error.
// `--asan` builds an AddressSanitizer copy into build/asan/Release instead (npm run test:asan),
// and any failure is an error.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const asan = process.argv.includes('--asan');
const required = asan || process.env.SENTVEC_REQUIRE_NATIVE === '1';
const out = asan ? path.join('build', 'asan') : 'build';

function runs(command) {
  return spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0;
}

function giveUp(reason) {
  console.log(`sentvec: native addon not built (${reason}); the WASM/JS backend will be used`);
  process.exit(required ? 1 : 0);
}

if (!asan) {
  // the loader itself decides, from the compiled package (absent in a fresh clone: then build)
  const loader = path.join(root, 'dist', 'src', 'backend', 'native.js');
  const found = fs.existsSync(loader)
    ? await import(pathToFileURL(loader).href).then(({ findNativeAddon }) => findNativeAddon()).catch(() => undefined)
    : undefined;
  if (found?.source.from === 'prebuild') {
    console.log(`sentvec: using the prebuilt addon ${path.relative(root, found.source.file)}`);
    process.exit(0);
  }
}

if (!runs('cmake')) giveUp('cmake not found');
const compiler = [process.env.CXX, 'c++', 'g++', 'clang++'].find((command) => command && runs(command));
if (!compiler) giveUp('no C++ compiler found');

// cmake-js downloads Node's headers unless told where they are: use the running Node's own
// (a system Node keeps them in /usr/include/node), so the build needs no network.
const nodeDir = process.env.npm_config_nodedir || path.resolve(path.dirname(process.execPath), '..');
if (!fs.existsSync(path.join(nodeDir, 'include', 'node', 'node_api.h'))) {
  giveUp(`no Node headers in ${path.join(nodeDir, 'include', 'node')}; set npm_config_nodedir to a Node install with them`);
}

let cmakeJs;
try {
  cmakeJs = createRequire(import.meta.url).resolve('cmake-js/bin/cmake-js');
} catch {
  giveUp('cmake-js is not installed: npm install --no-save cmake-js node-addon-api, then npm rebuild sentvec');
}

const options = asan ? ['--CDSENTVEC_ASAN=ON'] : [];
const build = spawnSync(process.execPath, [cmakeJs, 'compile', '--directory', root, '--out', out, '--cxx', compiler, '--log-level', 'warn', ...options], {
  cwd: root,
  encoding: 'utf8',
  env: { ...process.env, npm_config_nodedir: nodeDir },
});
const log = path.join(root, out, 'native-build.log');
fs.rmSync(log, { force: true });
if (build.status !== 0) {
  fs.mkdirSync(path.dirname(log), { recursive: true });
  fs.writeFileSync(log, `${build.stdout ?? ''}${build.stderr ?? ''}${build.error ? String(build.error) : ''}`);
  giveUp(`the build failed, see ${path.relative(process.cwd(), log)}`);
}
console.log(`sentvec: native addon built${asan ? ' with AddressSanitizer' : ''}`);
