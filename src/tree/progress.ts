/**
 * A one-line progress display on stderr for long operations (directory scans).
 *
 * It writes nothing at all unless the stream is a TTY, and nothing before `delayMs` (default 1 s)
 * has passed, so short runs and redirected output stay clean. The line is redrawn at most every
 * `intervalMs` and erased by `finish()`.
 *
 * The interface is deliberately small (`update(done, total)`, `finish()`), so a progress-bar
 * library can replace the rendering without touching callers.
 */

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(s: string): boolean;
}

export interface ProgressOptions {
  /** What is being counted, e.g. "scanning". */
  label?: string;
  /** Unit shown after the counts. Default "entries". */
  unit?: string;
  stream?: ProgressStream;
  /** Nothing is shown before this much time has passed. Default 1000 ms. */
  delayMs?: number;
  /** Minimum time between redraws. Default 100 ms. */
  intervalMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

export interface Progress {
  update(done: number, total: number): void;
  /** Erases the line if one was drawn. Further updates are ignored. */
  finish(): void;
  /** Whether anything has been written. */
  readonly shown: boolean;
}

export function createProgress(opts: ProgressOptions = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  const now = opts.now ?? Date.now;
  const delay = opts.delayMs ?? 1000;
  const interval = opts.intervalMs ?? 100;
  const label = opts.label ?? 'scanning';
  const unit = opts.unit ?? 'entries';
  const start = now();
  let last = -Infinity;
  let shown = false;
  let finished = false;
  const tty = stream.isTTY === true;

  return {
    get shown() {
      return shown;
    },
    update(done: number, total: number): void {
      if (!tty || finished) return;
      const t = now();
      if (t - start < delay || t - last < interval) return;
      last = t;
      const pct = total > 0 ? Math.min(100, Math.floor((done * 100) / total)) : 0;
      let line = `${label}: ${done}/${total} ${unit} (${pct}%)`;
      const cols = stream.columns;
      if (cols !== undefined && cols > 1 && line.length >= cols) line = line.slice(0, cols - 1);
      stream.write(`\r\x1b[K${line}`);
      shown = true;
    },
    finish(): void {
      if (finished) return;
      finished = true;
      if (shown) stream.write('\r\x1b[K');
    },
  };
}
