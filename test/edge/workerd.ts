// Cloudflare's workerd serving a worker bundle on 127.0.0.1: a capnp config naming the bundle's
// modules (the .wasm ones as compiled Wasm modules, as Cloudflare uploads them), text bindings,
// and an outbound network that may reach loopback, where the test serves the model.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { projectRoot } from '../fixtures.js';
import { listenOnLoopback } from '../static-files.js';
import { RuntimeProcess } from './runtime-process.js';
import type { WorkerBundle } from './worker-bundle.js';

// the binary itself, not the workerd package's launcher (a node shim where install scripts did not
// run), so the process measured is workerd's
const WORKERD = path.join(projectRoot, 'node_modules', '@cloudflare', 'workerd-linux-64', 'bin', 'workerd');
// the example's wrangler.toml says the same
const COMPATIBILITY_DATE = '2025-09-01';

async function freePort(): Promise<number> {
  const server = http.createServer();
  const port = await listenOnLoopback(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function capnpConfig(bundle: WorkerBundle, bindings: Record<string, string>, port: number): string {
  const modules = [
    `(name = "${bundle.main}", esModule = embed "${bundle.main}")`,
    ...bundle.wasm.map((name) => `(name = "${name}", wasm = embed "${name}")`),
  ];
  const textBindings = Object.entries(bindings).map(([name, text]) => `(name = ${JSON.stringify(name)}, text = ${JSON.stringify(text)})`);
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "internet", network = (allow = ["local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [${modules.join(', ')}],
  compatibilityDate = "${COMPATIBILITY_DATE}",
  bindings = [${textBindings.join(', ')}],
  globalOutbound = "internet",
);
`;
}

export interface Workerd {
  process: RuntimeProcess;
  url: string;
}

/** Starts workerd on the bundle and resolves once it accepts requests. */
export async function startWorkerd(bundle: WorkerBundle, bindings: Record<string, string>, timeoutMs: number): Promise<Workerd> {
  const port = await freePort();
  const config = path.join(bundle.dir, 'workerd.capnp');
  fs.writeFileSync(config, capnpConfig(bundle, bindings, port));
  const runtime = new RuntimeProcess(WORKERD, ['serve', config, '--verbose'], timeoutMs, { cwd: bundle.dir });
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    const ready = await fetch(url, { signal: AbortSignal.timeout(1000) }).then(() => true, () => false);
    if (ready) return { process: runtime, url };
    const exited = await Promise.race([runtime.exited, new Promise<undefined>((resolve) => setTimeout(resolve, 100))]);
    if (exited) throw new Error(`workerd exited with ${exited.status}: ${exited.stderr.slice(-2000)}`);
  }
}

export interface EmbedAnswer {
  status: number;
  body: { dimension: number; vectors: number[][]; error?: string };
  seconds: number;
}

/** POST /embed {texts} to a worker, timed. */
export async function postEmbed(url: string, texts: string[], timeoutMs: number): Promise<EmbedAnswer> {
  const started = performance.now();
  const response = await fetch(`${url}/embed`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ texts }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = await response.json();
  return { status: response.status, body, seconds: (performance.now() - started) / 1000 };
}
