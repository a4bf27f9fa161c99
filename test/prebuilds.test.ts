// The package's prebuilds (npm run prebuilds): every platform's binary is where the loader looks,
// matches the manifest's sha256, and is a binary of that platform exporting Node-API's entry
// point. linux-arm64's also runs, under qemu in an arm64 Node, through prebuild-target-check.ts
// (the prebuild loads, kernel parity at every ISA level, 64 sentences of all-MiniLM-L6-v2 against
// sentence-transformers) and int8-parity.test.ts; linux-x64 runs the whole suite. The musl, macOS and Windows binaries
// are checked as files only. native/prebuild-tools.sh installs qemu and the arm64 Node; absent,
// that run skips (fails under CI).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'tape';
import { absent } from './required.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const prebuilds = path.join(root, 'prebuilds');
const PLATFORMS = ['linux-x64', 'linux-x64-musl', 'linux-arm64', 'linux-arm64-musl', 'darwin-x64', 'darwin-arm64', 'win32-x64'];
const ENTRY = 'napi_register_module_v1';
const tools = process.env.SENTVEC_TOOLS ?? path.join(os.homedir(), '.cache', 'sentvec');

function binary(t: test.Test, platform: string): Buffer | undefined {
  const file = path.join(prebuilds, platform, 'sentvec.node');
  if (existsSync(file)) return readFileSync(file);
  absent(t, `the ${platform} prebuild`, `${file} is missing (npm run prebuilds)`, 'SENTVEC_REQUIRE_PREBUILDS');
  return undefined;
}

test('prebuilds: one binary per platform, each with the sha256 the manifest records', (t) => {
  const manifestFile = path.join(prebuilds, 'manifest.json');
  if (!existsSync(manifestFile)) {
    absent(t, 'prebuilds', `${manifestFile} is missing (npm run prebuilds)`, 'SENTVEC_REQUIRE_PREBUILDS');
    return t.end();
  }
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { binaries: Record<string, { sha256: string }> };
  t.deepEqual(Object.keys(manifest.binaries).sort(), [...PLATFORMS].sort(), 'the manifest lists every platform');
  for (const platform of PLATFORMS) {
    const bytes = binary(t, platform);
    if (!bytes) continue;
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    t.equal(sha256, manifest.binaries[platform]?.sha256, `${platform}: sha256 ${sha256.slice(0, 16)}…, ${(bytes.length / 1024).toFixed(0)} KiB`);
  }
  t.end();
});

// ELF: the machine, the C library it links (musl's loader answers to libc.so), the exported entry
const ELF = {
  'linux-x64': { machine: 'Advanced Micro Devices X86-64', libc: 'libc.so.6' },
  'linux-arm64': { machine: 'AArch64', libc: 'libc.so.6' },
  'linux-x64-musl': { machine: 'Advanced Micro Devices X86-64', libc: 'libc.so' },
  'linux-arm64-musl': { machine: 'AArch64', libc: 'libc.so' },
} as const;
for (const [platform, { machine, libc }] of Object.entries(ELF)) {
  test(`${platform}: an ELF ${machine} library on ${libc} that exports ${ENTRY}`, (t) => {
    if (!binary(t, platform)) return t.end();
    const readelf = (...flags: string[]) => spawnSync('readelf', [...flags, '-W', path.join(prebuilds, platform, 'sentvec.node')], { encoding: 'utf8' }).stdout ?? '';
    t.match(readelf('-h'), new RegExp(`Machine:\\s+${machine}`), `machine ${machine}`);
    const needed = [...readelf('-d').matchAll(/\(NEEDED\)\s+Shared library: \[(.+?)\]/g)].map((match) => match[1]);
    t.ok(needed.includes(libc) && !needed.some((name) => name.startsWith('libstdc++') || name.startsWith('libc++')), `needs ${needed.join(', ')}: ${libc}, and no C++ runtime`);
    const symbols = readelf('--dyn-syms');
    t.match(symbols, new RegExp(`GLOBAL\\s+DEFAULT\\s+\\d+\\s+${ENTRY}$`, 'm'), `exports ${ENTRY}`);
    if (libc === 'libc.so.6') {
      // loads on glibc 2.28 (Debian 10, RHEL 8) and later: no symbol of a newer version
      const newest = Math.max(...[...symbols.matchAll(/@GLIBC_2\.(\d+)/g)].map((match) => Number(match[1])));
      t.ok(newest <= 28, `newest glibc symbol version asked for: 2.${newest} ≤ 2.28`);
    }
    t.end();
  });
}

// Mach-O 64-bit: the CPU type in the header and the external symbols of LC_SYMTAB
const MACHO_CPU = { 'darwin-x64': 0x01000007, 'darwin-arm64': 0x0100000c } as const;
for (const [platform, cpu] of Object.entries(MACHO_CPU)) {
  test(`${platform}: a Mach-O 64-bit ${platform.slice(7)} library that exports _${ENTRY}`, (t) => {
    const bytes = binary(t, platform);
    if (!bytes) return t.end();
    t.equal(bytes.readUInt32LE(0), 0xfeedfacf, 'Mach-O 64-bit magic');
    t.equal(bytes.readUInt32LE(4), cpu, `CPU type 0x${bytes.readUInt32LE(4).toString(16)}`);
    t.ok([6, 8].includes(bytes.readUInt32LE(12)), `file type ${bytes.readUInt32LE(12)} (6 dylib, 8 bundle)`);
    const exported: string[] = [];
    let command = 32;
    for (let i = 0; i < bytes.readUInt32LE(16); i++, command += bytes.readUInt32LE(command + 4)) {
      if (bytes.readUInt32LE(command) !== 0x2) continue;  // LC_SYMTAB
      const [symbols, count, strings] = [bytes.readUInt32LE(command + 8), bytes.readUInt32LE(command + 12), bytes.readUInt32LE(command + 16)];
      for (let s = 0; s < count; s++) {
        const entry = symbols + 16 * s;
        const type = bytes[entry + 4];
        if ((type & 0x01) === 0 || (type & 0x0e) !== 0x0e) continue;  // external, defined in a section
        const name = strings + bytes.readUInt32LE(entry);
        exported.push(bytes.toString('latin1', name, bytes.indexOf(0, name)));
      }
    }
    t.ok(exported.includes(`_${ENTRY}`), `exports _${ENTRY} (${exported.length} external symbols)`);
    t.end();
  });
}

test(`win32-x64: a PE32+ x86-64 DLL that exports ${ENTRY} and imports Node-API from node.exe`, (t) => {
  const bytes = binary(t, 'win32-x64');
  if (!bytes) return t.end();
  const pe = bytes.readUInt32LE(0x3c);
  t.equal(bytes.toString('latin1', pe, pe + 4), 'PE\0\0', 'PE signature');
  t.equal(bytes.readUInt16LE(pe + 4), 0x8664, `machine 0x${bytes.readUInt16LE(pe + 4).toString(16)} (x86-64)`);
  t.ok(bytes.readUInt16LE(pe + 22) & 0x2000, 'a DLL');
  const optional = pe + 24;
  t.equal(bytes.readUInt16LE(optional), 0x20b, 'PE32+ optional header');
  const sections = optional + bytes.readUInt16LE(pe + 20);
  const offset = (rva: number): number => {
    for (let s = 0; s < bytes.readUInt16LE(pe + 6); s++) {
      const section = sections + 40 * s;
      const [start, size, raw] = [bytes.readUInt32LE(section + 12), bytes.readUInt32LE(section + 8), bytes.readUInt32LE(section + 20)];
      if (rva >= start && rva < start + size) return rva - start + raw;
    }
    throw new Error(`RVA 0x${rva.toString(16)} is in no section`);
  };
  const text = (rva: number) => { const at = offset(rva); return bytes.toString('latin1', at, bytes.indexOf(0, at)); };
  const exports = offset(bytes.readUInt32LE(optional + 112));
  const names = Array.from({ length: bytes.readUInt32LE(exports + 24) }, (_, i) => text(bytes.readUInt32LE(offset(bytes.readUInt32LE(exports + 32)) + 4 * i)));
  t.ok(names.includes(ENTRY), `exports ${ENTRY} (exports: ${names.join(', ')})`);
  const dlls: string[] = [];
  for (let entry = offset(bytes.readUInt32LE(optional + 120)); bytes.readUInt32LE(entry + 12) !== 0; entry += 20) dlls.push(text(bytes.readUInt32LE(entry + 12)));
  t.ok(dlls.some((dll) => dll.toLowerCase() === 'node.exe'), `imports from ${dlls.join(', ')}`);
  t.end();
});

/** Runs the test file `script` (its argument: `platform`) in `command` and repeats each of its assertions here. */
function runElsewhere(t: test.Test, platform: string, runtime: string, command: string[], script: string): void {
  const missing = command.find((part) => part.startsWith('/') && !existsSync(part));
  if (missing) {
    absent(t, runtime, `${missing} is missing (bash native/prebuild-tools.sh installs it)`, 'SENTVEC_REQUIRE_PREBUILDS');
    return;
  }
  if (!binary(t, platform)) return;
  const started = performance.now();
  const run = spawnSync(command[0], [...command.slice(1), fileURLToPath(new URL(script, import.meta.url)), platform], {
    cwd: root, encoding: 'utf8', timeout: 600_000,
  });
  // the check names the ISA level of the kernel results that follow in a comment
  let level = '';
  const results: string[] = [];
  for (const line of run.stdout.split('\n')) {
    level = /^# ISA level (\w+)/.exec(line)?.[1] ?? level;
    if (!/^(not )?ok \d+ /.test(line)) continue;
    results.push(line);
    t.ok(line.startsWith('ok'), `${runtime}${level ? ` ${level}` : ''}: ${line.replace(/^(not )?ok \d+ /, '')}`);
  }
  t.ok(results.length > 0 && run.status === 0, `${runtime} exited with ${run.status ?? run.signal} after ${results.length} assertions${run.status === 0 ? '' : `: ${run.stderr.slice(-2000)}`}`);
  t.comment(`${script} for ${platform} in ${runtime}: ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

const ARM64_NODE = ['/usr/bin/qemu-aarch64', '-L', '/usr/aarch64-linux-gnu', path.join(tools, 'cross', 'arm64-node')];

test('linux-arm64: the prebuild runs under qemu in an arm64 Node', (t) => {
  runElsewhere(t, 'linux-arm64', 'arm64 Node under qemu', ARM64_NODE, 'prebuild-target-check.js');
  t.end();
});

test('linux-arm64: the int8 Linear under qemu, at the scalar and NEON levels', (t) => {
  runElsewhere(t, 'linux-arm64', 'arm64 Node under qemu', ARM64_NODE, 'int8-parity.test.js');
  t.end();
});
