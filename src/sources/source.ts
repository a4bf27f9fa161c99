// Where a model's files come from: a folder, an http(s) base URL, the files themselves, or a
// Hugging Face repo (fetched into the hub cache, then read as a folder). Every source answers the
// same question, the bytes of a file by relative path, so load() and the worker thread treat them
// alike. Nothing here imports a Node built-in at load time: the browser build reaches this file.

/** The model's files by relative path ('config.json', '1_Pooling/config.json', …). */
export type ModelFileMap = Record<string, string | Uint8Array | ArrayBuffer>;

/** A folder path, a Hugging Face repo id, an http(s) base URL, or the files themselves. */
export type ModelInput = string | URL | ModelFileMap;

/** How to open a source again in another thread: plain data, so it crosses a worker boundary. */
export type SourceSpec =
  | { kind: 'folder'; dir: string }
  | { kind: 'url'; href: string }
  | { kind: 'files'; files: ModelFileMap };

export interface ModelSource {
  /** The folder, URL or '(files)' that paths are relative to; errors name files under it. */
  readonly name: string;
  readonly spec: SourceSpec;
  /** A file's bytes, or undefined when the source has no such file. */
  bytes(path: string): Promise<Uint8Array | undefined>;
  /** Told of bytes (a part of a file) the model has copied and will not read again. */
  copied?(bytes: Uint8Array): void;
  /** The same files, safetensors ones through `mapper` (a folder's only). */
  mapped?(mapper: FileMapper): ModelSource;
}

const decoder = new TextDecoder();

/** A file of the source as UTF-8 text, or undefined when the source has no such file. */
export async function sourceText(source: ModelSource, path: string): Promise<string | undefined> {
  const bytes = await source.bytes(path);
  return bytes === undefined ? undefined : decoder.decode(bytes);
}

export interface FileMapper {
  /** Maps a whole file into memory, or returns undefined where it cannot (the file is then read). */
  map(file: string): Uint8Array | undefined;
  /** Gives back the memory of mapped bytes that were copied; a no-op on any other bytes. */
  release(bytes: Uint8Array): void;
}

export function folderSource(dir: string, mapper?: FileMapper): ModelSource {
  return {
    name: dir,
    spec: { kind: 'folder', dir },
    copied: mapper && ((bytes) => mapper.release(bytes)),
    mapped: (other) => folderSource(dir, other),
    async bytes(path) {
      const mapped = mapper?.map(`${dir}/${path}`);
      if (mapped) return mapped;
      return (await import('../model-file.js')).readModelFile(`${dir}/${path}`);
    },
  };
}

export function urlSource(base: URL): ModelSource {
  const root = base.href.endsWith('/') ? base : new URL(`${base.href}/`);
  return {
    name: root.href.replace(/\/$/, ''),
    spec: { kind: 'url', href: root.href },
    async bytes(path) {
      const url = new URL(path, root);
      // the callers validate paths; this guards the rule that nothing is fetched from outside root
      if (!url.href.startsWith(root.href)) throw new Error(`${root.href}: refusing to fetch ${url.href}, outside the model's URL`);
      const response = await fetch(url);
      if (response.status === 404) return undefined;
      if (!response.ok) throw new Error(`${url.href}: HTTP ${response.status} ${response.statusText}`);
      return bodyBytes(response, url);
    },
  };
}

/**
 * The body read into one buffer of Content-Length bytes as it streams in. arrayBuffer() holds every
 * chunk and then their concatenation, twice the checkpoint at its peak, which an edge isolate of
 * 128 MB cannot spare.
 */
async function bodyBytes(response: Response, url: URL): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length'));
  const encoded = (response.headers.get('content-encoding') ?? 'identity') !== 'identity';
  if (!response.body || !Number.isSafeInteger(declared) || declared <= 0 || encoded) return new Uint8Array(await response.arrayBuffer());
  const bytes = new Uint8Array(declared);
  let filled = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (filled + value.length > declared) {
      await reader.cancel();
      throw new Error(`${url.href}: the body runs past its Content-Length of ${declared} bytes`);
    }
    bytes.set(value, filled);
    filled += value.length;
  }
  if (filled !== declared) throw new Error(`${url.href}: the body ended after ${filled} of its ${declared} bytes (Content-Length)`);
  return bytes;
}

export function filesSource(files: ModelFileMap): ModelSource {
  const encoder = new TextEncoder();
  return {
    name: '(files)',
    spec: { kind: 'files', files },
    async bytes(path) {
      const value = files[path];
      if (value === undefined) return undefined;
      if (typeof value === 'string') return encoder.encode(value);
      return value instanceof Uint8Array ? value : new Uint8Array(value);
    },
  };
}

/** The source a spec describes; a folder's safetensors files go through `map` when given. */
export function openSource(spec: SourceSpec, mapper?: FileMapper): ModelSource {
  switch (spec.kind) {
    case 'folder':
      return folderSource(spec.dir, mapper);
    case 'url':
      return urlSource(new URL(spec.href));
    case 'files':
      return filesSource(spec.files);
  }
}
