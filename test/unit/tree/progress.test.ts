import { describe, expect, it } from 'vitest';
import { createProgress, type ProgressStream } from '../../../src/tree/progress.js';

function fakeStream(isTTY: boolean, columns?: number): ProgressStream & { out: string[] } {
  const out: string[] = [];
  return {
    isTTY,
    columns,
    out,
    write(s: string) {
      out.push(s);
      return true;
    },
  };
}

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('createProgress', () => {
  it('writes nothing at all when the stream is not a TTY', () => {
    const s = fakeStream(false);
    const c = clock();
    const p = createProgress({ stream: s, now: c.now });
    for (let i = 0; i < 50; i++) {
      c.advance(500);
      p.update(i, 50);
    }
    p.finish();
    expect(s.out).toEqual([]);
    expect(p.shown).toBe(false);
  });

  it('stays silent during the first second, then draws one line, then erases it', () => {
    const s = fakeStream(true);
    const c = clock();
    const p = createProgress({ stream: s, now: c.now, label: 'scanning' });
    c.advance(999);
    p.update(10, 100);
    expect(s.out).toEqual([]);
    c.advance(1);
    p.update(25, 100);
    expect(s.out).toEqual(['\r\x1b[Kscanning: 25/100 entries (25%)']);
    p.update(26, 100); // throttled
    expect(s.out.length).toBe(1);
    c.advance(100);
    p.update(100, 100);
    expect(s.out.at(-1)).toBe('\r\x1b[Kscanning: 100/100 entries (100%)');
    p.finish();
    expect(s.out.at(-1)).toBe('\r\x1b[K');
    const n = s.out.length;
    c.advance(1000);
    p.update(1, 1);
    p.finish();
    expect(s.out.length).toBe(n);
  });

  it('a short run on a TTY prints nothing, not even the erase', () => {
    const s = fakeStream(true);
    const c = clock();
    const p = createProgress({ stream: s, now: c.now });
    p.update(1, 2);
    c.advance(300);
    p.update(2, 2);
    p.finish();
    expect(s.out).toEqual([]);
  });

  it('fits the line into the terminal width', () => {
    const s = fakeStream(true, 20);
    const c = clock();
    const p = createProgress({ stream: s, now: c.now, delayMs: 0 });
    p.update(123456, 7654321);
    expect(s.out[0]?.replace('\r\x1b[K', '').length).toBe(19);
  });
});
