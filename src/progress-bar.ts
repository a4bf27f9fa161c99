// One line of progress on a terminal's stderr, redrawn in place at most ten times a second: the
// count and rate always, a bar and an ETA when the fraction done is known. Nothing at all when
// stderr is not a terminal, so logs and pipes stay clean.

const REDRAW_MS = 100;
const WIDTH = 24;

export interface ProgressBar {
  /** `done` units so far; `fraction` of the whole job, when it is known. */
  update(done: number, fraction?: number): void;
  /** Draws the last state and ends the line. */
  finish(): void;
}

function duration(seconds: number): string {
  const s = Math.round(seconds);
  const hms = [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60];
  return (hms[0] > 0 ? hms : hms.slice(1)).map((part, i) => (i === 0 ? String(part) : String(part).padStart(2, '0'))).join(':');
}

export const formatCount = (n: number) => Math.round(n).toLocaleString('en-US');
export const formatBytes = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

/** A bar counting in `unit` ('texts'), numbers shown by `format`. */
export function progressBar(unit: string, format = formatCount, stream: NodeJS.WriteStream = process.stderr): ProgressBar {
  if (!stream.isTTY) return { update() {}, finish() {} };
  const started = performance.now();
  let drawn = 0;
  let last: { done: number; fraction?: number } = { done: 0 };
  const draw = () => {
    const { done, fraction } = last;
    const seconds = (performance.now() - started) / 1000;
    const parts: string[] = [];
    if (fraction !== undefined) {
      const filled = Math.round(Math.min(1, fraction) * WIDTH);
      parts.push(`[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%`);
    }
    parts.push(`${format(done)} ${unit}`, `${format(seconds > 0 ? done / seconds : 0)} ${unit}/s`);
    if (fraction !== undefined && fraction > 0) parts.push(`ETA ${duration((seconds * (1 - fraction)) / fraction)}`);
    stream.write(`\r${parts.join('  ')}\x1b[K`);
    drawn = performance.now();
  };
  return {
    update(done, fraction) {
      last = { done, fraction };
      if (performance.now() - drawn >= REDRAW_MS) draw();
    },
    finish() {
      draw();
      stream.write('\n');
    },
  };
}
