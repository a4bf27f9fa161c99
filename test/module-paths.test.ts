// Paths a model folder names (modules.json module paths, shard names) never leave it: not by
// "..", an absolute path or a URL of another host. Errors about a file never echo its contents.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import test from 'tape';
import { load } from '../src/index.js';
import { checkpointDir, errorMessage } from './fixtures.js';

const minilm = checkpointDir('all-MiniLM-L6-v2');
const SECRET = 'SECRET-7f3a-do-not-echo';

/** MiniLM's files, with modules.json's Pooling path replaced by `poolingPath`. */
function filesWithPoolingPath(poolingPath: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (dir: string, prefix: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(path.join(dir, entry.name), `${prefix}${entry.name}/`);
      else files.set(`${prefix}${entry.name}`, fs.readFileSync(path.join(dir, entry.name)));
    }
  };
  walk(minilm, '');
  const modules = JSON.parse(files.get('modules.json')!.toString());
  for (const module of modules) if (module.type.endsWith('.Pooling')) module.path = poolingPath;
  files.set('modules.json', Buffer.from(JSON.stringify(modules)));
  return files;
}

async function serve(handler: http.RequestListener): Promise<{ url: string; server: http.Server }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

test('a module path leaving the model folder is refused, and the file outside is never read', async (t) => {
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'sentvec-outside-'));
  fs.writeFileSync(path.join(outside, 'config.json'), `{"pooling_mode_mean_tokens": true, "note": "${SECRET}"}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sentvec-traversal-'));
  try {
    for (const poolingPath of [`../../../../..${outside}`, outside, '1_Pooling/../../x', 'C:\\x']) {
      for (const [name, bytes] of filesWithPoolingPath(poolingPath)) {
        fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        fs.writeFileSync(path.join(dir, name), bytes);
      }
      const found = await errorMessage(load(dir, { backend: 'js' }));
      t.ok(found.includes(`${dir}/modules.json`) && found.includes('must be a plain folder name') && !found.includes(SECRET),
        `${poolingPath}: ${found}`);
    }
  } finally {
    fs.rmSync(outside, { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a URL source never fetches from another host, and errors never echo a response', async (t) => {
  const otherHostRequests: string[] = [];
  const other = await serve((request, response) => {
    otherHostRequests.push(request.url ?? '');
    response.end(`${SECRET} not json`);
  });
  const otherHost = other.url.replace(/^http:/, '');
  let files = new Map<string, Buffer>();
  const model = await serve((request, response) => {
    const file = files.get(decodeURIComponent((request.url ?? '/').slice(1)));
    response.statusCode = file ? 200 : 404;
    response.end(file);
  });
  try {
    for (const poolingPath of [`${other.url}/pool`, `${otherHost}/pool`, '..', '/pool']) {
      files = filesWithPoolingPath(poolingPath);
      const found = await errorMessage(load(model.url, { backend: 'js' }));
      t.ok(found.includes('modules.json') && found.includes('must be a plain folder name') && !found.includes(SECRET),
        `${poolingPath}: ${found}`);
    }
    files = filesWithPoolingPath('1_Pooling');
    files.set('1_Pooling/config.json', Buffer.from(`{"${SECRET}`));
    const found = await errorMessage(load(model.url, { backend: 'js' }));
    t.ok(found.includes('1_Pooling/config.json') && /not valid JSON/.test(found) && !found.includes(SECRET), `broken JSON: ${found}`);
    t.deepEqual(otherHostRequests, [], 'the other host got no request');
  } finally {
    other.server.close();
    model.server.close();
  }
});
