// `npm run prebuilds`: cross-compiles the addon for every platform the package ships a binary for,
// on one Linux x64 machine, into prebuilds/<platform>-<arch>[-musl]/sentvec.node, and writes
// prebuilds/manifest.json with each binary's sha256, which the loader checks before loading it.
// Toolchain (native/prebuild-tools.sh installs it): Zig's clang (PyPI's ziglang) for every target,
// libc++ linked in. Node-API headers and Windows' import library come from node-api-headers, so nothing is
// downloaded here. Each kernel family is compiled once per ISA level with that level's flags, as
// CMakeLists.txt does, so every binary keeps the run-time dispatch (no -march=native).
// `node native/prebuild.mjs linux-x64 ...` builds only the targets named.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const work = path.join(root, 'build', 'prebuild');
const out = path.join(root, 'prebuilds');
const zigEnv = process.env.SENTVEC_ZIG_PYTHON || path.join(os.homedir(), '.cache', 'sentvec', 'zigenv', 'bin', 'python');
const zig = [zigEnv, '-m', 'ziglang'];

const KERNEL_SOURCES = ['gemm', 'gemm_i8', 'norm', 'attention', 'embed_pool'];
const GLUE_SOURCES = ['addon', 'binding', 'dispatch', 'threads'];
// the ISA levels and their flags, as in CMakeLists.txt
const ISA_FLAGS = {
  x64: { scalar: [], avx2: ['-mavx2', '-mfma'], avx512: ['-mavx512f', '-mavx2', '-mfma'] },
  arm64: { scalar: [], neon: [] },  // NEON is part of the arm64 baseline
};

const TARGETS = {
  // glibc 2.28 (Debian 10, RHEL 8, Ubuntu 20.04) and later: Zig links against that version's
  // symbols, where this machine's g++ and static libstdc++ would need its own glibc 2.36
  'linux-x64': { arch: 'x64', cxx: [...zig, 'c++', '-target', 'x86_64-linux-gnu.2.28'], link: ['-shared', '-s'] },
  'linux-arm64': { arch: 'arm64', cxx: [...zig, 'c++', '-target', 'aarch64-linux-gnu.2.28'], link: ['-shared', '-s'] },
  'linux-x64-musl': { arch: 'x64', cxx: [...zig, 'c++', '-target', 'x86_64-linux-musl'], link: ['-shared', '-s'] },
  'linux-arm64-musl': { arch: 'arm64', cxx: [...zig, 'c++', '-target', 'aarch64-linux-musl'], link: ['-shared', '-s'] },
  // Node resolves the napi_* symbols when it loads the addon
  'darwin-x64': { arch: 'x64', cxx: [...zig, 'c++', '-target', 'x86_64-macos.11.0'], link: ['-shared', '-Wl,-undefined,dynamic_lookup', '-s'] },
  'darwin-arm64': { arch: 'arm64', cxx: [...zig, 'c++', '-target', 'aarch64-macos.11.0'], link: ['-shared', '-Wl,-undefined,dynamic_lookup', '-s'] },
  // the napi_* symbols are imported from node.exe through an import library made from the .def
  'win32-x64': { arch: 'x64', cxx: [...zig, 'c++', '-target', 'x86_64-windows-gnu'], link: ['-shared', '-s'], importLibrary: true },
};

const nodeApiHeaders = path.join(root, 'node_modules', 'node-api-headers');
const nodeAddonApi = path.join(root, 'node_modules', 'node-addon-api');
const COMMON = [
  '-std=c++17', '-O3', '-DNDEBUG', '-fPIC', '-fvisibility=hidden', '-Wall', '-Wextra',
  '-DNAPI_VERSION=8', '-DNODE_ADDON_API_CPP_EXCEPTIONS', '-DNODE_ADDON_API_CPP_EXCEPTIONS_ALL',
  '-I', path.join(nodeApiHeaders, 'include'), '-I', nodeAddonApi,
];

function fail(message) {
  console.error(`prebuild: ${message}`);
  process.exit(1);
}

function run([command, ...args], label) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => { output += chunk; });
    child.stderr.on('data', (chunk) => { output += chunk; });
    child.on('error', (error) => reject(new Error(`${label}: cannot run ${command}: ${error.message}`)));
    child.on('close', (status) => {
      if (status === 0) resolve(output);
      else reject(new Error(`${label} failed (exit ${status}):\n${command} ${args.join(' ')}\n${output}`));
    });
  });
}

// Runs the jobs at most `width` at a time; the first failure ends the build.
async function pool(jobs, width) {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await jobs[next++]();
  };
  await Promise.all(Array.from({ length: Math.min(width, jobs.length) }, worker));
}

function compileJobs(name, target) {
  const dir = path.join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  const objects = [];
  const jobs = [];
  const compile = (source, object, flags) => {
    objects.push(object);
    jobs.push(() => run([...target.cxx, ...COMMON, ...flags, '-c', path.join('native', `${source}.cpp`), '-o', object], `${name} ${path.basename(object)}`));
  };
  for (const [isa, flags] of Object.entries(ISA_FLAGS[target.arch])) {
    for (const source of KERNEL_SOURCES) {
      compile(source, path.join(dir, `${source}.${isa}.o`), [`-DSENTVEC_ISA_${isa.toUpperCase()}`, ...flags]);
    }
  }
  for (const source of GLUE_SOURCES) compile(source, path.join(dir, `${source}.o`), []);
  return { dir, objects, jobs };
}

async function link(name, target, { dir, objects }) {
  const libraries = [];
  if (target.importLibrary) {
    const library = path.join(dir, 'node.lib');
    await run([...zig, 'dlltool', '-m', 'i386:x86-64', '-d', path.join(nodeApiHeaders, 'def', 'node_api.def'), '-l', library], `${name} node.lib`);
    libraries.push(library);
  }
  const binary = path.join(out, name, 'sentvec.node');
  fs.mkdirSync(path.dirname(binary), { recursive: true });
  await run([...target.cxx, ...objects, ...libraries, ...target.link, '-o', binary], `${name} link`);
  return binary;
}

function version(command) {
  const result = spawnSync(command[0], [...command.slice(1), command[0] === zigEnv ? 'version' : '--version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.split('\n')[0].trim() : undefined;
}

const requested = process.argv.slice(2);
for (const name of requested) if (!TARGETS[name]) fail(`unknown target '${name}'; targets: ${Object.keys(TARGETS).join(', ')}`);
const names = requested.length ? requested : Object.keys(TARGETS);
if (!fs.existsSync(path.join(nodeApiHeaders, 'def', 'node_api.def'))) fail('node-api-headers is not installed: run npm install');
if (!fs.existsSync(path.join(nodeAddonApi, 'napi.h'))) fail('node-addon-api is not installed: run npm install');
const toolchains = {};
for (const name of names) {
  const compiler = TARGETS[name].cxx.slice(0, TARGETS[name].cxx[0] === zigEnv ? 3 : 1);
  const key = compiler.join(' ');
  toolchains[key] ??= version(compiler);
  if (!toolchains[key]) fail(`${name}: '${key}' does not run; bash native/prebuild-tools.sh installs the toolchains`);
}

const started = Date.now();
const builds = Object.fromEntries(names.map((name) => [name, compileJobs(name, TARGETS[name])]));
const width = Number(process.env.SENTVEC_PREBUILD_JOBS) || os.availableParallelism();
try {
  await pool(names.flatMap((name) => builds[name].jobs), width);
  const binaries = {};
  await pool(names.map((name) => async () => { binaries[name] = await link(name, TARGETS[name], builds[name]); }), width);

  const manifestFile = path.join(out, 'manifest.json');
  const previous = fs.existsSync(manifestFile) ? JSON.parse(fs.readFileSync(manifestFile, 'utf8')).binaries : {};
  const manifest = { toolchains, binaries: { ...previous } };
  for (const name of names) {
    const bytes = fs.readFileSync(binaries[name]);
    manifest.binaries[name] = { sha256: crypto.createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };
    console.log(`prebuild: ${name}/sentvec.node ${(bytes.length / 1024).toFixed(0)} KiB`);
  }
  fs.writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
} catch (error) {
  fail(error.message);
}
console.log(`prebuild: ${names.length} targets in ${((Date.now() - started) / 1000).toFixed(1)} s on ${width} jobs`);
