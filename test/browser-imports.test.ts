// The browser build's static import graph, as compiled into dist/: no Node built-in and not the
// native binding, so a browser or a bundler targeting one can evaluate every module it reaches.
import fs from 'node:fs';
import path from 'node:path';
import test from 'tape';
import { projectRoot } from './fixtures.js';

// import … from '…', export … from '…' and bare import '…', as tsc emits them one per line
const STATIC_IMPORT = /^\s*(?:import|export)\s(?:[^'"]*?\sfrom\s)?['"]([^'"]+)['"]/gm;

/** Every file and bare specifier statically reachable from `entry`. */
function staticGraph(entry: string): { files: string[]; specifiers: string[] } {
  const files: string[] = [];
  const specifiers = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (files.includes(file)) continue;
    files.push(file);
    for (const [, specifier] of fs.readFileSync(file, 'utf8').matchAll(STATIC_IMPORT)) {
      if (specifier.startsWith('.')) pending.push(path.resolve(path.dirname(file), specifier));
      else specifiers.add(specifier);
    }
  }
  return { files, specifiers: [...specifiers] };
}

test('browser build: package.json points browsers at an entry that reaches no Node built-in', (t) => {
  const manifest = JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8'));
  const entry = manifest.exports['.'].browser;
  t.equal(manifest.exports['./browser'].default, entry, `sentvec/browser and the browser condition both load ${entry}`);

  const { files, specifiers } = staticGraph(path.join(projectRoot, entry));
  const relative = files.map((file) => path.relative(path.join(projectRoot, 'dist'), file));
  t.ok(relative.includes('src/backend/wasm.js'), `${files.length} modules reached, the wasm backend among them`);
  t.deepEqual(specifiers, [], 'no package or Node built-in is imported statically');
  t.notOk(relative.includes('src/backend/native.js'), 'the native binding is not reached');
  t.end();
});
