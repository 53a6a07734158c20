import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PE, PeError, peSection, peSections, ukiCmdline } from '../../../src/uki/pe.js';

/** A minimal PE image: DOS header, PE signature, COFF header, optional header of `opt` bytes, sections. */
function makePe(sections: Array<{ name: string; data: Buffer; virtualSize?: number }>, opt = 240): Buffer {
  const lfanew = 0x80;
  const table = lfanew + PE.SIGNATURE_SIZE + PE.COFF_HEADER_SIZE + opt;
  let dataAt = table + sections.length * PE.SECTION_HEADER_SIZE;
  dataAt = Math.ceil(dataAt / 512) * 512;
  const total = dataAt + sections.reduce((s, x) => s + Math.ceil(x.data.length / 512) * 512, 0);
  const b = Buffer.alloc(total);
  b.writeUInt16LE(PE.DOS_MAGIC, 0);
  b.writeUInt32LE(lfanew, PE.DOS_LFANEW_OFFSET);
  b.writeUInt32LE(PE.SIGNATURE, lfanew);
  const coff = lfanew + PE.SIGNATURE_SIZE;
  b.writeUInt16LE(sections.length, coff + PE.COFF_NUMBER_OF_SECTIONS);
  b.writeUInt16LE(opt, coff + PE.COFF_SIZE_OF_OPTIONAL_HEADER);
  sections.forEach((s, i) => {
    const h = table + i * PE.SECTION_HEADER_SIZE;
    b.write(s.name, h, 'latin1');
    const raw = Math.ceil(s.data.length / 512) * 512;
    b.writeUInt32LE(s.virtualSize ?? s.data.length, h + PE.SECTION_VIRTUAL_SIZE);
    b.writeUInt32LE(raw, h + PE.SECTION_SIZE_OF_RAW_DATA);
    b.writeUInt32LE(dataAt, h + PE.SECTION_POINTER_TO_RAW_DATA);
    s.data.copy(b, dataAt);
    dataAt += raw;
  });
  return b;
}

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
