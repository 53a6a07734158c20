import { describe, expect, it } from 'vitest';
import { CmdlineError, composefsCmdlineFromCmdline, toCmdlineArg } from '../../../src/cmdline/index.js';
import { H64, H64B, H128, SHA256_HEX, SHA512_HEX, thrown } from './fixtures.js';

function chainOf(cmdline: string, hash: 'sha256' | 'sha512'): readonly string[] {
  const err = thrown(() => composefsCmdlineFromCmdline(cmdline, hash));
  expect(err).toBeInstanceOf(CmdlineError);
  return (err as CmdlineError).chain;
}

describe('composefsCmdlineFromCmdline (policy (b), upstream cmdline.rs tests)', () => {
  it('round-trips V2 and V1, secure and insecure', () => {
    for (const insecure of [false, true]) {
      expect(composefsCmdlineFromCmdline(toCmdlineArg({ version: 2, hash: 'sha256', hex: SHA256_HEX, insecure }), 'sha256')).toEqual({
        version: 2,
        hex: SHA256_HEX,
        insecure,
      });
      expect(composefsCmdlineFromCmdline(toCmdlineArg({ version: 1, hash: 'sha256', hex: SHA256_HEX, insecure }), 'sha256')).toEqual({
        version: 1,
        hex: SHA256_HEX,
        insecure,
      });
      expect(composefsCmdlineFromCmdline(toCmdlineArg({ version: 1, hash: 'sha512', hex: SHA512_HEX, insecure }), 'sha512')).toEqual({
        version: 1,
        hex: SHA512_HEX,
        insecure,
      });
    }
  });

  it('composefs.digest= takes priority over an earlier composefs=', () => {
    expect(composefsCmdlineFromCmdline(`composefs=${H64B} composefs.digest=v1-sha256-12:${H64}`, 'sha256')).toEqual({
      version: 1,
      hex: H64,
      insecure: false,
    });
  });

  it('skips a composefs.digest= of the other hash (cross-type)', () => {
    expect(composefsCmdlineFromCmdline(`composefs.digest=v1-sha512-12:${SHA512_HEX}`, 'sha256')).toBeNull();
    expect(composefsCmdlineFromCmdline(`composefs.digest=v1-sha256-12:${SHA256_HEX}`, 'sha512')).toBeNull();
    // ... and picks the matching one later on the line
    expect(
      composefsCmdlineFromCmdline(`composefs.digest=v1-sha512-12:${SHA512_HEX} composefs.digest=?v1-sha256-12:${SHA256_HEX}`, 'sha256'),
    ).toEqual({ version: 1, hex: SHA256_HEX, insecure: true });
    // skipped entries are not hex-checked
    expect(composefsCmdlineFromCmdline(`composefs.digest=v1-sha512-12:zz composefs=${H64}`, 'sha256')).toEqual({
      version: 2,
      hex: H64,
      insecure: false,
    });
  });

  it('absent → null', () => {
    expect(composefsCmdlineFromCmdline('quiet splash rw', 'sha256')).toBeNull();
    expect(composefsCmdlineFromCmdline('', 'sha256')).toBeNull();
    expect(composefsCmdlineFromCmdline('root=UUID=abc rw composefs', 'sha512')).toBeNull();
  });

  it('invalid hex errors mention the key', () => {
    expect(chainOf('composefs.digest=v1-sha256-12:notahex', 'sha256')).toEqual([
      'parsing composefs.digest= hash: got 7 hex chars, expected 64 for fsverity-sha256-12',
      'Odd number of digits',
    ]);
    expect(chainOf('composefs=notahex', 'sha256')).toEqual([
      'parsing composefs= hash: got 7 hex chars, expected 64 for fsverity-sha256-12',
      'Odd number of digits',
    ]);
    // composefs= length mismatch with the requested hash is an error, not a skip
    expect(chainOf(`composefs=${H64}`, 'sha512')).toEqual([
      'parsing composefs= hash: got 64 hex chars, expected 128 for fsverity-sha512-12',
      'Invalid string length',
    ]);
    expect(chainOf(`composefs.digest=v1-sha512-12:${'x'.repeat(128)}`, 'sha512')).toEqual([
      'parsing composefs.digest= hash: got 128 hex chars, expected 128 for fsverity-sha512-12',
      "Invalid character 'x' at position 0",
    ]);
  });

  it('bad block size and version are errors even for the right hash', () => {
    expect(chainOf(`composefs.digest=v1-sha256-8:${SHA256_HEX}`, 'sha256')).toEqual([
      `parsing composefs.digest= value: v1-sha256-8:${SHA256_HEX}`,
      "parsing algorithm from 'sha256-8'",
      'unsupported lg_blocksize 8 (only 12 is currently supported)',
    ]);
    expect(chainOf(`composefs.digest=v1-sha512-99:${SHA512_HEX}`, 'sha512')[2]).toContain('unsupported');
    expect(chainOf(`composefs.digest=v3-sha256-12:${SHA256_HEX}`, 'sha256')[1]).toBe("unsupported format version 'v3'");
    // descriptor errors abort even when the descriptor names the other hash's slot
    expect(chainOf(`composefs.digest=?v1-md5-12:${SHA256_HEX}`, 'sha512')[0]).toBe(`parsing composefs.digest= value: ?v1-md5-12:${SHA256_HEX}`);
  });

  it('composefs.digest=v2-… parses as V2', () => {
    expect(composefsCmdlineFromCmdline(`composefs.digest=v2-sha256-12:${SHA256_HEX}`, 'sha256')).toEqual({
      version: 2,
      hex: SHA256_HEX,
      insecure: false,
    });
    expect(composefsCmdlineFromCmdline(`composefs.digest=?v2-sha512-12:${SHA512_HEX}`, 'sha512')).toEqual({
      version: 2,
      hex: SHA512_HEX,
      insecure: true,
    });
  });

  it('V1 and V2 fallback among other tokens', () => {
    expect(composefsCmdlineFromCmdline(`root=UUID=abc composefs.digest=v1-sha256-12:${SHA256_HEX} rw`, 'sha256')).toEqual({
      version: 1,
      hex: SHA256_HEX,
      insecure: false,
    });
    expect(composefsCmdlineFromCmdline(`root=UUID=abc composefs=${SHA256_HEX} rw`, 'sha256')).toEqual({
      version: 2,
      hex: SHA256_HEX,
      insecure: false,
    });
    expect(composefsCmdlineFromCmdline(`composefs=?${SHA256_HEX}`, 'sha256')).toEqual({ version: 2, hex: SHA256_HEX, insecure: true });
  });

  it('returns only the first match; later tokens are not examined', () => {
    expect(composefsCmdlineFromCmdline(`composefs.digest=v1-sha512-12:${H128} composefs.digest=v9-bad`, 'sha512')).toEqual({
      version: 1,
      hex: H128,
      insecure: false,
    });
    expect(composefsCmdlineFromCmdline(`composefs=${H64} composefs=garbage`, 'sha256')).toEqual({ version: 2, hex: H64, insecure: false });
    // only the FIRST composefs= is considered
    expect(chainOf(`composefs=garbage composefs=${H64}`, 'sha256')[0]).toBe(
      'parsing composefs= hash: got 7 hex chars, expected 64 for fsverity-sha256-12',
    );
  });

  it('returns the digest normalised to lowercase (upstream returns a digest value)', () => {
    expect(composefsCmdlineFromCmdline(`composefs=${SHA256_HEX.toUpperCase()}`, 'sha256')?.hex).toBe(SHA256_HEX);
  });
});
