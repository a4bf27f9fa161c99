// Headless Chromium driven over the DevTools protocol on --remote-debugging-pipe: Chromium reads
// NUL-terminated JSON commands on its fd 3 and writes replies and events on its fd 4, so Node
// needs no WebSocket client and the test no dependency.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';

export const CHROMIUM = '/usr/bin/chromium';

const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--remote-debugging-pipe',
];

interface Message {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
}

export class Chromium {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (result: Record<string, unknown>) => void; reject: (error: Error) => void }>();
  private readonly listeners: ((message: Message) => void)[] = [];
  /** The end of Chromium's stderr, for failure messages. */
  private stderrTail = '';
  /** Resolves when the browser process has exited, for whatever reason. */
  readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcess, private readonly profileDir: string) {
    const fromChromium = child.stdio[4] as Readable;
    let buffered = Buffer.alloc(0);
    fromChromium.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (let end = buffered.indexOf(0); end >= 0; end = buffered.indexOf(0)) {
        this.dispatch(JSON.parse(buffered.subarray(0, end).toString('utf8')));
        buffered = buffered.subarray(end + 1);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-2000)));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    void this.exited.then(() => {
      for (const request of this.pending.values()) request.reject(new Error(`Chromium exited: ${this.stderrTail}`));
      this.pending.clear();
    });
  }

  /** Starts Chromium on a fresh profile; throws if the binary is missing. */
  static launch(): Chromium {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: .ci/run installs it (apt-get install -y chromium)`);
    const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sentvec-chromium-'));
    // its own process group, so close() can end the renderers and helpers with it
    const child = spawn(CHROMIUM, [...FLAGS, `--user-data-dir=${profileDir}`, 'about:blank'], {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
      detached: true,
    });
    return new Chromium(child, profileDir);
  }

  /** One protocol command; `sessionId` addresses a page attached with flatten: true. */
  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      (this.child.stdio[3] as Writable).write(`${JSON.stringify({ id, method, params, sessionId })}\0`);
    });
  }

  onEvent(listener: (method: string, params: Record<string, unknown>) => void): void {
    this.listeners.push((message) => message.method && listener(message.method, message.params ?? {}));
  }

  /** Opens `url` in a new page and attaches to it, with console and exceptions reported. */
  async open(url: string): Promise<string> {
    const { targetId } = await this.send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await this.send('Target.attachToTarget', { targetId, flatten: true });
    await this.send('Runtime.enable', {}, sessionId as string);
    await this.send('Page.navigate', { url }, sessionId as string);
    return sessionId as string;
  }

  get stderr(): string {
    return this.stderrTail;
  }

  /** Asks Chromium to quit, kills its process group if it has not within 5 s, removes the profile. */
  async close(): Promise<void> {
    const gone = () => this.child.exitCode !== null || this.child.signalCode !== null;
    if (!gone()) {
      this.send('Browser.close').catch(() => {});
      await Promise.race([this.exited, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
    }
    try {
      process.kill(-this.child.pid!, 'SIGKILL');
    } catch {
      // the group has already exited
    }
    await this.exited;
    fs.rmSync(this.profileDir, { recursive: true, force: true });
  }

  private dispatch(message: Message): void {
    if (message.id !== undefined) {
      const request = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error) request?.reject(new Error(`DevTools: ${message.error.message}`));
      else request?.resolve(message.result ?? {});
      return;
    }
    for (const listener of this.listeners) listener(message);
  }
}
