import { describe, expect, it } from 'vitest';
import { Unwinder } from '../../../src/mount/unwind.js';

describe('Unwinder', () => {
  it('undoes newest first, runs every action even when one fails, and reports failures', () => {
    const u = new Unwinder();
    const log: string[] = [];
    u.push('a', () => log.push('a'));
    u.push('b', () => {
      throw new Error('boom');
    });
    u.push('c', () => log.push('c'));
    expect(u.unwind()).toEqual(['b: boom']);
    expect(log).toEqual(['c', 'a']);
    expect(u.size).toBe(0);
  });

  it('release forgets everything; drop and runOne act on the newest entry of a name', () => {
    const u = new Unwinder();
    const log: string[] = [];
    u.push('x', () => log.push('x1'));
    u.push('x', () => log.push('x2'));
    u.push('y', () => log.push('y'));
    u.runOne('x');
    expect(log).toEqual(['x2']);
    u.drop('y');
    expect(u.unwind()).toEqual([]);
    expect(log).toEqual(['x2', 'x1']);
    u.push('z', () => log.push('z'));
    u.release();
    expect(u.unwind()).toEqual([]);
    expect(log).toEqual(['x2', 'x1']);
  });
});
