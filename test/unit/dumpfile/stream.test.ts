/**
 * Streaming parse of a generated 2,000,000-line dumpfile (the text is generated chunk by chunk and
 * never held in memory as a whole). Reports time and peak RSS; no timing assertion.
 * CFSBOOT_STREAM_LINES overrides the line count.
 */
import { describe, expect, it } from 'vitest';
import { parseDumpfileStream } from '../../../src/dumpfile/index.js';
import type { Node } from '../../../src/tree/node.js';

const TOTAL = Number(process.env.CFSBOOT_STREAM_LINES ?? 2_000_000);
const PER_DIR = 999;

/** Yields ~256 KiB chunks of a realistic dumpfile with exactly TOTAL lines. */
async function* generate(total: number): AsyncGenerator<Buffer> {
  let parts: string[] = [];
  let size = 0;
  let line = 0;
  const emit = (s: string): void => {
    parts.push(s);
    size += s.length;
    line++;
  };
  emit('/ 4096 40755 2 0 0 0 1700000000.0 - - - security.selinux=system_u:object_r:root_t:s0\n');
  let dir = 0;
  while (line < total) {
    const d = `/d${dir.toString().padStart(5, '0')}`;
    emit(`${d} 4096 40755 2 0 0 0 1700000000.0 - - -\n`);
    for (let i = 0; i < PER_DIR && line < total; i++) {
      const n = dir * PER_DIR + i;
      const hex = (n * 2654435761 >>> 0).toString(16).padStart(8, '0').repeat(8);
      switch (n % 8) {
        case 0:
          emit(`${d}/l${i} 7 120777 1 0 0 0 1700000000.${n % 1000} ../f${i} - -\n`);
          break;
        case 1:
          emit(`${d}/s${i} 12 100644 1 0 0 0 1700000000.0 - hello\\x20world\\n - user.k=v\n`);
          break;
        default:
          emit(`${d}/f${i} ${n * 37 + 65} 100644 1 1000 1000 0 1700000000.0 ${hex.slice(0, 2)}/${hex.slice(2)} - ${hex} security.selinux=system_u:object_r:usr_t:s0\n`);
      }
      if (size >= 256 * 1024) {
        yield Buffer.from(parts.join(''), 'latin1');
        parts = [];
        size = 0;
      }
    }
    dir++;
  }
  if (parts.length > 0) yield Buffer.from(parts.join(''), 'latin1');
}

function countNodes(root: Node): number {
  let n = 0;
  const stack = [root];
  while (stack.length > 0) {
    const x = stack.pop()!;
    n++;
    if (x.children !== undefined) for (const c of x.children.values()) stack.push(c);
  }
  return n;
}

describe('parseDumpfileStream on a large generated dumpfile', () => {
  it(`parses ${TOTAL.toLocaleString('en')} lines in chunks`, { timeout: 600_000 }, async () => {
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let peakSampled = rssBefore;
    const timer = setInterval(() => {
      peakSampled = Math.max(peakSampled, process.memoryUsage().rss);
    }, 50);
    const t0 = performance.now();
    const root = await parseDumpfileStream(generate(TOTAL));
    const ms = performance.now() - t0;
    clearInterval(timer);
    peakSampled = Math.max(peakSampled, process.memoryUsage().rss);
    const mib = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MiB`;
    console.log(
      `streamed ${TOTAL} lines in ${(ms / 1000).toFixed(2)} s (${((TOTAL / ms) * 1000).toFixed(0)} lines/s); ` +
        `RSS before ${mib(rssBefore)}, sampled peak ${mib(peakSampled)}, ` +
        `process maxRSS ${mib(process.resourceUsage().maxRSS * 1024)}, heapUsed after ${mib(process.memoryUsage().heapUsed)}`,
    );
    expect(countNodes(root)).toBe(TOTAL);
  });
});
