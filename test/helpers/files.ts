import * as fs from 'node:fs';
import * as path from 'node:path';

/** Writes a file of `size` pseudo-random bytes (xorshift32 from `seed`) and returns its path. */
export function randomFile(dir: string, name: string, size: number, seed: number): string {
  const file = path.join(dir, name);
  const fd = fs.openSync(file, 'w');
  try {
    let x = (seed | 0) || 0x9e3779b9;
    const chunk = Buffer.allocUnsafe(1 << 20);
    for (let done = 0; done < size; ) {
      const n = Math.min(chunk.length, size - done);
      for (let i = 0; i < n; i += 4) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        chunk.writeInt32LE(x | 0, i);
      }
      fs.writeSync(fd, chunk, 0, n);
      done += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return file;
}
