import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PeError, peSection, peSections, ukiCmdline } from '../../../src/uki/pe.js';
import { makePe } from '../../helpers/pe.js';

describe('PE reader (UKI sections)', () => {
  const cmdline = 'root=PARTUUID=abc rw composefs=' + 'ab'.repeat(32) + '\n';
  const pe = makePe([
    { name: '.osrel', data: Buffer.from('ID=debian\n') },
    { name: '.cmdline', data: Buffer.from(cmdline + '\0') },
    { name: '.linux', data: Buffer.alloc(1000, 7) },
  ]);

  it('lists sections and reads one by name (virtual size, not the padded raw size)', () => {
    expect(peSections(pe, 't').map((s) => s.name)).toEqual(['.osrel', '.cmdline', '.linux']);
    expect(peSection(pe, '.cmdline', 't')!.toString()).toBe(cmdline + '\0');
    expect(peSection(pe, '.linux', 't')!.length).toBe(1000);
    expect(peSection(pe, '.initrd', 't')).toBeUndefined();
  });

  it('ukiCmdline strips NULs and trailing whitespace', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfsboot-pe-'));
    try {
      const f = path.join(dir, 'uki.efi');
      fs.writeFileSync(f, pe);
      expect(ukiCmdline(f)).toBe(cmdline.trim());
      fs.writeFileSync(f, makePe([{ name: '.linux', data: Buffer.alloc(10) }]));
      expect(() => ukiCmdline(f)).toThrow(/has no \.cmdline section/);
      expect(() => ukiCmdline(path.join(dir, 'missing.efi'))).toThrow(PeError);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses what is not a PE file, and truncated headers', () => {
    expect(() => peSections(Buffer.from('#!/bin/sh\n'), 'x')).toThrow(/not a PE file/);
    const bad = Buffer.from(pe);
    bad.writeUInt32LE(0x12345678, 0x80);
    expect(() => peSections(bad, 'x')).toThrow(/no PE signature/);
    expect(() => peSections(pe.subarray(0, 0x90), 'x')).toThrow(/truncated/);
    const beyond = Buffer.from(pe.subarray(0, pe.length - 1024));
    expect(() => peSection(beyond, '.linux', 'x')).toThrow(/beyond the end/);
  });
});
