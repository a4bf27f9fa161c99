// Starts a runtime binary (Deno, Bun, workerd, a Node child) as its own process group, with a
// deadline after which the whole group is killed: a launcher shim may have spawned the real binary.
import { spawn, type SpawnOptions } from 'node:child_process';
import { readFile } from 'node:fs/promises';

export interface Finished {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The peak resident set (VmHWM) of a running `pid` in bytes, or 0 where /proc does not say. */
export async function peakRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kib = /^VmHWM:\s+(\d+) kB/m.exec(status);
  return kib ? Number(kib[1]) * 1024 : 0;
}

export class RuntimeProcess {
  readonly exited: Promise<Finished>;
  private stdoutText = '';
  private stderrText = '';
  private readonly child;

  /** `input`, if given, is written to stdin, which is then closed. */
  constructor(readonly command: string, args: string[], timeoutMs: number, options: SpawnOptions & { input?: string } = {}) {
    this.child = spawn(command, args, { ...options, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.child.stdin!.end(options.input);
    const timer = setTimeout(() => this.kill(), timeoutMs);
    this.child.stdout!.on('data', (chunk: Buffer) => (this.stdoutText += chunk.toString('utf8')));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderrText += chunk.toString('utf8')));
    this.exited = new Promise((resolve) => {
      this.child.on('error', (error) => resolve({ status: null, stdout: this.stdoutText, stderr: `${this.stderrText}${error.message}` }));
      this.child.on('close', (status, signal) => {
        clearTimeout(timer);
        const stderr = signal ? `${this.stderrText}killed by ${signal} (deadline ${timeoutMs / 1000} s)` : this.stderrText;
        resolve({ status, stdout: this.stdoutText, stderr });
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  kill(): void {
    try {
      process.kill(-this.child.pid!, 'SIGKILL');
    } catch {
      // the group has already exited
    }
  }
}

/** Runs `command` to its end with `input` on stdin. */
export function runToEnd(command: string, args: string[], input: string, timeoutMs: number, options: SpawnOptions = {}): Promise<Finished> {
  return new RuntimeProcess(command, args, timeoutMs, { ...options, input }).exited;
}
