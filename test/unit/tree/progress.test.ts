import { describe, expect, it } from 'vitest';
import { createProgress, type ProgressStream } from '../../../src/tree/progress.js';

function fakeStream(isTTY: boolean, columns = 100): ProgressStream & { out: string[]; text: () => string } {
  const out: string[] = [];
  return {
    isTTY,
    columns,
    out,
    text: () => out.join(''),
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

  it('stays silent during the first second, then draws a bar with the counts, then clears it', () => {
    const s = fakeStream(true);
    const c = clock();
    const p = createProgress({ stream: s, now: c.now, label: 'scanning' });
    c.advance(999);
    p.update(10, 100);
    expect(s.out).toEqual([]);
    c.advance(1);
    p.update(25, 100);
    expect(p.shown).toBe(true);
    expect(s.text()).toContain('scanning [');
    expect(s.text()).toContain('25% | 25/100 entries');
    const n = s.out.length;
    p.update(26, 100); // throttled: within 100 ms of the last draw
    expect(s.out.length).toBe(n);
    c.advance(100);
    p.update(100, 150);
    expect(s.text()).toContain('100/150 entries');
    p.finish();
    const m = s.out.length;
    c.advance(1000);
    p.update(1, 1);
    p.finish();
    expect(s.out.length).toBe(m);
  });

  it('a short run on a TTY prints nothing', () => {
    const s = fakeStream(true);
    const c = clock();
    const p = createProgress({ stream: s, now: c.now });
    p.update(1, 2);
    c.advance(500);
    p.update(2, 2);
    p.finish();
    expect(s.out).toEqual([]);
    expect(p.shown).toBe(false);
  });
});
