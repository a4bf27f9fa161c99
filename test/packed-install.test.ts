// The published package as a user gets it: `npm pack`, then `npm install ./sentvec-*.tgz` into an
// empty folder, offline, with a PATH that holds node, npm and sh and no cmake or C++ compiler;
// once with the install script and once with --ignore-scripts. Either way nothing is built, and
// load() runs the prebuild for this platform. Sizes and install times are printed, not asserted.
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'tape';
import { prebuildTarget } from '../src/backend/native.js';
import { checkpointDir } from './fixtures.js';
import { absent } from './required.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(path.join(os.tmpdir(), 'sentvec-packed-'));
test.onFinish(() => rmSync(work, { recursive: true, force: true }));

function which(command: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

// node, npm and sh only, so no cmake, make or compiler can be found
const bin = path.join(work, 'bin');
mkdirSync(bin);
for (const command of ['node', 'npm', 'sh']) symlinkSync(which(command) ?? command, path.join(bin, command));
const env = { ...process.env, PATH: bin, SENTVEC_NATIVE_ADDON: '', SENTVEC_BUILD_FROM_SOURCE: '', SENTVEC_BACKEND: '' };

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
}

function duBytes(dir: string): number {
  return Number(spawnSync('du', ['-sb', dir], { encoding: 'utf8' }).stdout.split('\t')[0]);
}

const target = await prebuildTarget();
let tarball: string | undefined;

test('npm pack: the tarball holds the prebuilds and no build output', (t) => {
  if (!existsSync(path.join(root, 'prebuilds', 'manifest.json'))) {
    absent(t, 'prebuilds', 'prebuilds/manifest.json is missing (npm run prebuilds)', 'SENTVEC_REQUIRE_PREBUILDS');
    return t.end();
  }
  const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8' });
  t.equal(pack.status, 0, `npm pack${pack.status === 0 ? '' : `: ${pack.stderr}`}`);
  const [packed] = JSON.parse(pack.stdout) as { filename: string; size: number; unpackedSize: number; files: { path: string }[] }[];
  const files = packed.files.map((file) => file.path);
  t.ok(files.includes('prebuilds/manifest.json') && files.includes('prebuilds/linux-arm64/sentvec.node'), `${files.filter((file) => file.startsWith('prebuilds/')).length} files under prebuilds/`);
  t.deepEqual(files.filter((file) => file.startsWith('build/') || file.startsWith('node_modules/')), [], 'no build/ or node_modules/');
  t.comment(`tarball ${mib(packed.size)} packed, ${mib(packed.unpackedSize)} unpacked, ${files.length} files`);
  tarball = path.join(work, packed.filename);
  t.end();
});

for (const flags of [[], ['--ignore-scripts']]) {
  test(`npm install ./sentvec.tgz ${flags.join(' ')}: offline, no compiler on PATH, builds nothing, runs native`, (t) => {
    if (!tarball) return t.end();
    const tools = spawnSync('sh', ['-c', 'command -v cmake || command -v c++ || command -v g++ || command -v clang++'], { env });
    t.notEqual(tools.status, 0, 'no cmake or C++ compiler on the PATH');
    const folder = path.join(work, `app${flags.join('')}`);
    mkdirSync(folder);
    const started = performance.now();
    const install = spawnSync('npm', ['install', tarball, '--offline', '--no-audit', '--no-fund', '--foreground-scripts', ...flags], { cwd: folder, env, encoding: 'utf8' });
    const seconds = (performance.now() - started) / 1000;
    t.equal(install.status, 0, `npm install exited with ${install.status}${install.status === 0 ? '' : `: ${install.stderr}`}`);
    const installed = path.join(folder, 'node_modules', 'sentvec');
    if (flags.length === 0) t.ok(install.stdout.includes(`sentvec: using the prebuilt addon ${path.join('prebuilds', target, 'sentvec.node')}`), 'the install script found the prebuild');
    t.notOk(existsSync(path.join(installed, 'build')), 'nothing was built (no build/ folder)');

    const script = `import { backendReport, load } from 'sentvec';
      const report = await backendReport();
      const model = await load(${JSON.stringify(checkpointDir('all-MiniLM-L6-v2'))});
      const [vector] = await model.encode(['a prebuilt addon']);
      await model.close();
      console.log(JSON.stringify({ report, backend: model.backend, length: vector.length }));`;
    const run = spawnSync('node', ['--input-type=module', '-e', script], { cwd: folder, env, encoding: 'utf8' });
    t.equal(run.status, 0, `the app ran${run.status === 0 ? '' : `: ${run.stderr}`}`);
    if (run.status === 0) {
      const { report, backend, length } = JSON.parse(run.stdout);
      t.equal(backend, 'native', `load() runs on ${backend}`);
      t.equal(report.addon, path.join(installed, 'prebuilds', target, 'sentvec.node'), `backendReport(): ${report.addon}`);
      t.deepEqual(report.skipped, [], 'backendReport(): nothing skipped');
      t.equal(length, 384, 'a 384-dimensional vector');
    }
    t.comment(`npm install ${flags.join(' ')}: ${seconds.toFixed(1)} s; node_modules ${mib(duBytes(path.join(folder, 'node_modules')))}`);
    t.end();
  });
}

test('a prebuild whose sha256 is not the manifest\'s is passed over, and backendReport() says why', (t) => {
  const installed = path.join(work, 'app--ignore-scripts', 'node_modules', 'sentvec');
  if (!existsSync(installed)) return t.end();
  appendFileSync(path.join(installed, 'prebuilds', target, 'sentvec.node'), 'x');
  const script = "import { backendReport } from 'sentvec'; console.log(JSON.stringify(await backendReport()));";
  const run = spawnSync('node', ['--input-type=module', '-e', script], { cwd: path.dirname(path.dirname(installed)), env, encoding: 'utf8' });
  t.equal(run.status, 0, `the app ran${run.status === 0 ? '' : `: ${run.stderr}`}`);
  const report = JSON.parse(run.stdout || '{}');
  t.equal(report.backend, 'wasm', `falls back to ${report.backend}`);
  t.match(report.skipped?.[0] ?? '', /^native: prebuild: .*sentvec\.node has sha256 [0-9a-f]{64}, the manifest says [0-9a-f]{64}$/, report.skipped?.[0]);
  t.match(report.skipped?.[1] ?? '', /^native: local build: .*build[/\\]Release[/\\]sentvec\.node is missing/, report.skipped?.[1]);
  t.end();
});
