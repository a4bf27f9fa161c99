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
