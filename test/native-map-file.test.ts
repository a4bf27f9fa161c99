// mapFile, through which the worker reads model.safetensors: the mapping holds the file's exact
// bytes, and a file that cannot be opened is an Error naming it, not a crash.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'tape';
import { checkpointDir } from './fixtures.js';
import { nativeAddonOrSkip } from './native-addon.js';

test('mapFile maps a file byte for byte and names a file it cannot open', async (t) => {
  const addon = await nativeAddonOrSkip(t);
  if (!addon) return;
  if (!addon.mapFile) {
    t.fail('the addon has no mapFile');
    return;
  }
  const file = path.join(checkpointDir('all-MiniLM-L6-v2'), 'model.safetensors');
  const mapped = new Uint8Array(addon.mapFile(file));
  const read = fs.readFileSync(file);
  t.equal(mapped.length, read.length, `${mapped.length} bytes`);
  t.ok(Buffer.compare(Buffer.from(mapped.buffer, mapped.byteOffset, mapped.byteLength), read) === 0, 'same bytes as readFileSync');

  const empty = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sentvec-map-')), 'empty');
  fs.writeFileSync(empty, '');
  t.equal(addon.mapFile(empty).byteLength, 0, 'an empty file maps to an empty buffer');
  fs.rmSync(path.dirname(empty), { recursive: true });

  t.throws(() => addon.mapFile!('/nonexistent/model.safetensors'), /mapFile.*cannot open \/nonexistent\/model\.safetensors/, 'missing file');
  t.throws(() => addon.mapFile!(os.tmpdir()), /cannot (map|open)/, 'a folder');
});

// The worker copies each non-Linear tensor out of the mapping and releases its pages at once, so
// the copy and the pages never stay resident together; the mapping still reads the file after.
test('releasePages gives a mapping\'s pages back and the bytes read the same afterwards', async (t) => {
  const addon = await nativeAddonOrSkip(t);
  if (!addon) return;
  if (!addon.mapFile || !addon.releasePages || !addon.unmapFile) {
    t.fail('the addon has no mapFile/releasePages/unmapFile');
    return;
  }
  const residentFileMiB = () => Number(/RssFile:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;
  const file = path.join(checkpointDir('all-MiniLM-L6-v2'), 'model.safetensors');
  const buffer = addon.mapFile(file);
  const mapped = new Uint8Array(buffer);
  let sum = 0;
  for (let i = 0; i < mapped.length; i += 4096) sum += mapped[i];
  const touched = residentFileMiB();
  addon.releasePages(mapped.subarray(1000));
  const released = residentFileMiB();
  const fileMiB = mapped.length / 2 ** 20;
  t.ok(touched - released > fileMiB * 0.9, `resident file pages ${touched.toFixed(0)} → ${released.toFixed(0)} MiB for a ${fileMiB.toFixed(0)} MiB mapping`);
  t.ok(Buffer.compare(Buffer.from(buffer), fs.readFileSync(file)) === 0 && sum >= 0, 'the released bytes read the file again');
  addon.releasePages(new Uint8Array(8192));
  t.pass('bytes outside any mapping: nothing happens');
  t.throws(() => addon.releasePages!(new Float32Array(4) as unknown as Uint8Array), /releasePages: bytes must be a Uint8Array/, 'not a Uint8Array');
  addon.unmapFile(buffer);
});
