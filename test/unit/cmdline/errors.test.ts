import { describe, expect, it } from 'vitest';
import { CmdlineError, formatAnyhowAlternate, formatAnyhowDebug } from '../../../src/cmdline/index.js';

describe('CmdlineError', () => {
  it('single message', () => {
    const e = new CmdlineError('no composefs karg found in kernel cmdline');
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('CmdlineError');
    expect(e.message).toBe('no composefs karg found in kernel cmdline');
    expect(e.chain).toEqual(['no composefs karg found in kernel cmdline']);
    expect(e.causes).toEqual([]);
    expect(e.rootCause).toBe('no composefs karg found in kernel cmdline');
    expect(e.formatChain()).toBe('Error: no composefs karg found in kernel cmdline');
    expect(e.oneLine()).toBe('no composefs karg found in kernel cmdline');
  });

  it('one cause is printed unnumbered with 4 spaces (anyhow)', () => {
    const e = CmdlineError.wrap('parsing composefs= sha256 digest', new Error("Invalid character 'x' at position 0"));
    expect(e.message).toBe('parsing composefs= sha256 digest');
    expect(e.chain).toEqual(['parsing composefs= sha256 digest', "Invalid character 'x' at position 0"]);
    expect(e.formatChain()).toBe(
      "Error: parsing composefs= sha256 digest\n\nCaused by:\n    Invalid character 'x' at position 0",
    );
    expect(e.oneLine()).toBe("parsing composefs= sha256 digest: Invalid character 'x' at position 0");
  });

  it('several causes are numbered "{n:>5}: "', () => {
    const inner = CmdlineError.wrap('parsing algorithm from \'sha256-8\'', new Error('unsupported lg_blocksize 8 (only 12 is currently supported)'));
    const e = CmdlineError.wrap('parsing composefs.digest= value: v1-sha256-8:ab', inner);
    expect(e.chain).toHaveLength(3);
    expect(e.formatChain()).toBe(
      'Error: parsing composefs.digest= value: v1-sha256-8:ab\n\nCaused by:\n' +
        "    0: parsing algorithm from 'sha256-8'\n" +
        '    1: unsupported lg_blocksize 8 (only 12 is currently supported)',
    );
    expect(e.oneLine()).toBe(
      "parsing composefs.digest= value: v1-sha256-8:ab: parsing algorithm from 'sha256-8': unsupported lg_blocksize 8 (only 12 is currently supported)",
    );
    expect(e.cause).toBe(inner);
  });

  it('indents continuation lines of multi-line messages like anyhow', () => {
    expect(formatAnyhowDebug(['outer\nsecond', 'a\nb'])).toBe('outer\nsecond\n\nCaused by:\n    a\n    b');
    expect(formatAnyhowDebug(['o', 'a\nb', 'c'])).toBe('o\n\nCaused by:\n    0: a\n       b\n    1: c');
    const many = ['o', ...Array.from({ length: 11 }, (_, i) => `m${i}`)];
    expect(formatAnyhowDebug(many).split('\n').at(-1)).toBe('   10: m10');
    expect(formatAnyhowAlternate(['a', 'b', 'c'])).toBe('a: b: c');
  });

  it('wraps non-Error values', () => {
    expect(CmdlineError.wrap('ctx', 'boom').chain).toEqual(['ctx', 'boom']);
    expect(new CmdlineError([]).chain).toEqual(['unknown error']);
  });
});
