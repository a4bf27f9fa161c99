// What a bench result was measured on: enough to tell two machines (or two versions on one
// machine) apart when their JSON is compared, and to say when other work was running.
import fs from 'node:fs';
import os from 'node:os';

export interface Machine {
  cpu: string;
  cores: number;
  /** The CPU flags that select a kernel (Linux /proc/cpuinfo), e.g. avx2 fma avx512f avx512_vnni. */
  cpuFlags: string[];
  platform: string;
  node: string;
  v8: string;
  sentvec: string;
  benchmarkJs: string;
  /** The SENTVEC_* variables set (SENTVEC_ISA=scalar, say): they steer what the model suite runs. */
  environment: Record<string, string>;
  /** 1-minute load average when the bench started and when it ended. */
  loadBefore: number;
  loadAfter: number;
}

const KERNEL_FLAGS = ['sse4_2', 'avx', 'avx2', 'fma', 'f16c', 'avx512f', 'avx512bw', 'avx512vl', 'avx512_vnni', 'avx_vnni', 'asimd', 'asimddp'];

/** Those of KERNEL_FLAGS this CPU has, as Linux's /proc/cpuinfo says; undefined where it says nothing. */
export function cpuFlags(): string[] | undefined {
  try {
    const info = fs.readFileSync('/proc/cpuinfo', 'utf8');
    const line = info.split('\n').find((l) => /^(flags|Features)\s*:/.test(l));
    if (line === undefined) return undefined;
    const flags = new Set(line.split(':')[1]?.trim().split(/\s+/) ?? []);
    return KERNEL_FLAGS.filter((flag) => flags.has(flag));
  } catch {
    return undefined;
  }
}

function sentvecVersion(): string {
  try {
    return JSON.parse(fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')).version;
  } catch {
    return 'unknown';
  }
}

export function cores(): number {
  return os.availableParallelism?.() ?? os.cpus().length;
}

/** The machine as the bench starts; `loadAfter` is filled in by `finish`. */
export function describeMachine(benchmarkJs: string): Machine {
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: cores(),
    cpuFlags: cpuFlags() ?? [],
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    v8: process.versions.v8,
    sentvec: sentvecVersion(),
    benchmarkJs,
    environment: Object.fromEntries(Object.entries(process.env).filter(([name, value]) => name.startsWith('SENTVEC_') && value !== undefined)) as Record<string, string>,
    loadBefore: os.loadavg()[0],
    loadAfter: NaN,
  };
}

export function finish(machine: Machine): void {
  machine.loadAfter = os.loadavg()[0];
}

/**
 * Why the figures may be low, or undefined: a 1-minute load average at or above the core count
 * (before the bench, or after it beyond the threads the bench itself ran) means other processes
 * took turns on the cores being timed.
 */
export function busyWarning(machine: Machine, benchThreads: number): string | undefined {
  const busyBefore = machine.loadBefore >= machine.cores;
  const busyAfter = machine.loadAfter - benchThreads >= machine.cores;
  if (!busyBefore && !busyAfter) return undefined;
  return `the machine was busy (load ${machine.loadBefore.toFixed(1)} before, ${machine.loadAfter.toFixed(1)} after, ` +
    `${machine.cores} cores): other processes shared the cores, so wall-time figures are low and margins wide; ` +
    'per-CPU-second figures are less affected';
}
