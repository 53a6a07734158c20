/**
 * A progress bar on stderr for long operations (directory scans), drawn by cli-progress.
 *
 * It writes nothing at all unless the stream is a TTY, and nothing before `delayMs` (default 1 s)
 * has passed, so short runs and redirected output stay clean. The bar is redrawn at most every
 * `intervalMs` and cleared by `finish()`.
 */
import { SingleBar } from 'cli-progress';

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
  /** Clears the bar if one was drawn. Further updates are ignored. */
  finish(): void;
  /** Whether anything has been written. */
  readonly shown: boolean;
}

export function createProgress(opts: ProgressOptions = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  const now = opts.now ?? Date.now;
  const delay = opts.delayMs ?? 1000;
  const interval = opts.intervalMs ?? 100;
  const start = now();
  const tty = stream.isTTY === true;
  let last = -Infinity;
  let bar: SingleBar | undefined;
  let finished = false;

  return {
    get shown() {
      return bar !== undefined;
    },
    update(done: number, total: number): void {
      if (!tty || finished) return;
      const t = now();
      if (t - start < delay || t - last < interval) return;
      last = t;
      if (bar === undefined) {
        bar = new SingleBar({
          stream: stream as unknown as NodeJS.WriteStream,
          format: `${opts.label ?? 'scanning'} [{bar}] {percentage}% | {value}/{total} ${opts.unit ?? 'entries'}`,
          barsize: 30,
          hideCursor: null,
          clearOnComplete: true,
          linewrap: false,
          fps: 1000 / interval,
          noTTYOutput: false,
          // redraws are driven by our own throttle above, never by a timer
          synchronousUpdate: false,
        });
        bar.start(total, done);
      } else {
        bar.setTotal(total);
        bar.update(done);
      }
      bar.render();
    },
    finish(): void {
      if (finished) return;
      finished = true;
      bar?.stop();
    },
  };
}
