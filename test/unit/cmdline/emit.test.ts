import { describe, expect, it } from 'vitest';
import {
  formatComposefsKarg,
  mergeKarg,
  mergeKargs,
  parseSetupRootKargs,
  toCmdlineArg,
} from '../../../src/cmdline/index.js';
import { H128, H64, SHA256_HEX, SHA512_HEX } from './fixtures.js';

describe('toCmdlineArg (boot.md §1.10)', () => {
  it('V1 → composefs.digest=v1-<hash>-12:<hex>', () => {
    expect(toCmdlineArg({ version: 1, hash: 'sha256', hex: SHA256_HEX, insecure: false })).toBe(`composefs.digest=v1-sha256-12:${SHA256_HEX}`);
    expect(toCmdlineArg({ version: 1, hash: 'sha512', hex: SHA512_HEX, insecure: false })).toBe(`composefs.digest=v1-sha512-12:${SHA512_HEX}`);
    expect(toCmdlineArg({ version: 1, hash: 'sha256', hex: SHA256_HEX, insecure: true })).toBe(`composefs.digest=?v1-sha256-12:${SHA256_HEX}`);
  });

  it('V0 is emitted as v1', () => {
    expect(toCmdlineArg({ version: 0, hash: 'sha512', hex: H128, insecure: true })).toBe(`composefs.digest=?v1-sha512-12:${H128}`);
  });

  it('V2 → composefs=<hex>', () => {
    expect(toCmdlineArg({ version: 2, hash: 'sha256', hex: SHA256_HEX, insecure: false })).toBe(`composefs=${SHA256_HEX}`);
    expect(toCmdlineArg({ version: 2, hash: 'sha256', hex: SHA256_HEX, insecure: true })).toBe(`composefs=?${SHA256_HEX}`);
  });

  it('formatComposefsKarg re-serialises parsed kargs with their key', () => {
    const line = `composefs.digest=?v2-sha512-12:${H128} composefs=${H64} composefs.digest=v1-sha256-12:${H64}`;
    const kargs = parseSetupRootKargs(line);
    expect(kargs.map(formatComposefsKarg).join(' ')).toBe(line);
  });
});

describe('mergeKarg (BLS options line)', () => {
  it('appends a new argument', () => {
    expect(mergeKarg('splash', 'quiet')).toBe('splash quiet');
    expect(mergeKarg('quiet', 'composefs=abc123')).toBe('quiet composefs=abc123');
    expect(mergeKarg('', 'quiet')).toBe('quiet');
  });

  it('replaces key= in place', () => {
    expect(mergeKarg('quiet splash root=/dev/sda1', 'root=/dev/sda2')).toBe('quiet splash root=/dev/sda2');
    expect(mergeKarg('quiet composefs=old123 rw', 'composefs=new456')).toBe('quiet composefs=new456 rw');
    expect(mergeKarg('a  composefs=?x\tb', 'composefs=y')).toBe('a  composefs=y\tb');
  });

  it('replaces only the first matching token', () => {
    expect(mergeKarg('composefs=1 composefs=2', 'composefs=3')).toBe('composefs=3 composefs=2');
  });

  it('replaces the same bare word, and only the same one', () => {
    expect(mergeKarg('quiet rw splash', 'rw')).toBe('quiet rw splash');
    expect(mergeKarg('quiet rw splash', 'ro')).toBe('quiet rw splash ro');
    expect(mergeKarg('root=/dev/sda1 rwx', 'ro')).toBe('root=/dev/sda1 rwx ro');
    expect(mergeKarg('composefs=abc', 'composefs')).toBe('composefs=abc composefs');
  });

  it('does not confuse composefs= with composefs.digest=', () => {
    expect(mergeKarg(`rw composefs.digest=v1-sha256-12:${H64}`, `composefs=${H64}`)).toBe(
      `rw composefs.digest=v1-sha256-12:${H64} composefs=${H64}`,
    );
    expect(mergeKarg(`rw composefs.digest=v1-sha256-12:old`, `composefs.digest=?v1-sha256-12:${H64}`)).toBe(
      `rw composefs.digest=?v1-sha256-12:${H64}`,
    );
  });

  it('tokenises with quotes', () => {
    expect(mergeKarg('foo="x composefs=1" bar', 'composefs=2')).toBe('foo="x composefs=1" bar composefs=2');
  });

  it('mergeKargs applies the karg then the extra arguments (adjust_cmdline)', () => {
    expect(mergeKargs('', ['composefs=abc123', 'quiet', 'splash'])).toBe('composefs=abc123 quiet splash');
    expect(mergeKargs('root=/dev/sda1 composefs=old', ['composefs=new', 'rw', 'rw'])).toBe('root=/dev/sda1 composefs=new rw');
    expect(mergeKarg('a', '')).toBe('a');
  });
});
