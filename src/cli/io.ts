/**
 * Where commands write: injectable so tests can capture output without spawning.
 *
 * The process implementation writes straight to fds 1 and 2 with `fs.writeSync`: it needs no
 * stream machinery (which costs a few ms at every start) and loses nothing when the process exits
 * right after. A closed pipe (EPIPE) ends the process with status 141, as SIGPIPE ends a C tool;
 * a non-blocking descriptor that is full (EAGAIN) falls back to Node's stream, which waits.
 */
import * as fs from 'node:fs';

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

const guarded = new WeakSet<NodeJS.WriteStream>();

/**
 * process.stdout or process.stderr, for the few writers that need Node's stream (a binary image
 * piped out, a progress bar, the EAGAIN fallback). Node creates these streams on first access,
 * at a cost of milliseconds (a socket under systemd loads node:net), so nothing touches them
 * unless it writes through them. A reader that goes away early (`… | head`) ends us quietly
 * with the status a shell reports for SIGPIPE (128 + 13), as it would a C tool; Node ignores
 * SIGPIPE itself.
 */
export function stdStream(fd: 1 | 2): NodeJS.WriteStream {
  const stream = fd === 1 ? process.stdout : process.stderr;
  if (!guarded.has(stream)) {
    guarded.add(stream);
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(141);
      throw e;
    });
  }
  return stream;
}

/** Writes all of `data` to `fd` synchronously. */
export function writeFd(fd: 1 | 2, data: string | Uint8Array): void {
  let buf = typeof data === 'string' ? Buffer.from(data) : data;
  while (buf.length > 0) {
    let n: number;
    try {
      n = fs.writeSync(fd, buf);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') process.exit(141);
      if (code === 'EAGAIN') {
        stdStream(fd).write(buf);
        return;
      }
      throw e;
    }
    buf = buf.subarray(n);
  }
}

export const processIo: Io = {
  out: (line) => writeFd(1, line + '\n'),
  err: (line) => writeFd(2, line + '\n'),
};
