// The page test/browser.test.ts opens in Chromium: loads each model of /job.json by URL or by
// repo id through the browser build, embeds the sentences and posts the vectors back, or the error it met.
import { load, supportedWasmVariants } from '../../src/browser.js';

export interface BrowserJob {
  /** url is a URL, or a repo id fetched from the hub at endpoint. */
  models: { name: string; url: string; endpoint?: string }[];
  sentences: string[];
  backend: string;
}

export interface BrowserResult {
  name: string;
  backend: string;
  variant: string;
  dimension: number;
  seconds: number;
  /** The vectors, one after another: sentences.length × dimension floats. */
  vectors: number[];
}

const post = (path: string, body: unknown) =>
  fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

try {
  const job: BrowserJob = await (await fetch('/job.json')).json();
  for (const { name, url, endpoint } of job.models) {
    const started = performance.now();
    const model = await load(url, { backend: job.backend, endpoint });
    const vectors = await model.encode(job.sentences, { batchSize: 32 });
    const result: BrowserResult = {
      name,
      backend: model.backend,
      variant: supportedWasmVariants()[0],
      dimension: model.dimension,
      seconds: (performance.now() - started) / 1000,
      vectors: vectors.flatMap((vector) => Array.from(vector)),
    };
    await post('/result', result);
  }
  await post('/done', {});
} catch (error) {
  await post('/error', { message: error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error) });
}
