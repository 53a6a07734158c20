/**
 * Just enough of the PE/COFF format to read a section of a UKI (e.g. `.cmdline`): the DOS header
 * points at the PE signature, the COFF header gives the section count and the optional header's
 * size, and the section table follows. All integers little-endian.
 */
import * as fs from 'node:fs';

/** Offsets and sizes, described once. */
export const PE = {
  DOS_MAGIC: 0x5a4d, // "MZ"
  DOS_LFANEW_OFFSET: 0x3c,
  SIGNATURE: 0x00004550, // "PE\0\0"
  SIGNATURE_SIZE: 4,
  COFF_HEADER_SIZE: 20,
  COFF_NUMBER_OF_SECTIONS: 2,
  COFF_SIZE_OF_OPTIONAL_HEADER: 16,
  SECTION_HEADER_SIZE: 40,
  SECTION_NAME_SIZE: 8,
  SECTION_VIRTUAL_SIZE: 8,
  SECTION_SIZE_OF_RAW_DATA: 16,
  SECTION_POINTER_TO_RAW_DATA: 20,
} as const;

export class PeError extends Error {
  override readonly name = 'PeError';
}

export interface PeSection {
  name: string;
  virtualSize: number;
  rawSize: number;
  rawOffset: number;
}

export function peSections(buf: Buffer, label: string): PeSection[] {
  const need = (end: number, what: string): void => {
    if (end > buf.length) throw new PeError(`${label}: not a PE file (truncated ${what})`);
  };
  need(PE.DOS_LFANEW_OFFSET + 4, 'DOS header');
  if (buf.readUInt16LE(0) !== PE.DOS_MAGIC) throw new PeError(`${label}: not a PE file (no MZ header)`);
  const pe = buf.readUInt32LE(PE.DOS_LFANEW_OFFSET);
  need(pe + PE.SIGNATURE_SIZE + PE.COFF_HEADER_SIZE, 'COFF header');
  if (buf.readUInt32LE(pe) !== PE.SIGNATURE) throw new PeError(`${label}: not a PE file (no PE signature)`);
  const coff = pe + PE.SIGNATURE_SIZE;
  const count = buf.readUInt16LE(coff + PE.COFF_NUMBER_OF_SECTIONS);
  const optSize = buf.readUInt16LE(coff + PE.COFF_SIZE_OF_OPTIONAL_HEADER);
  const table = coff + PE.COFF_HEADER_SIZE + optSize;
  need(table + count * PE.SECTION_HEADER_SIZE, 'section table');
  const out: PeSection[] = [];
  for (let i = 0; i < count; i++) {
    const h = table + i * PE.SECTION_HEADER_SIZE;
    const rawName = buf.subarray(h, h + PE.SECTION_NAME_SIZE);
    const nul = rawName.indexOf(0);
    out.push({
      name: rawName.subarray(0, nul < 0 ? rawName.length : nul).toString('latin1'),
      virtualSize: buf.readUInt32LE(h + PE.SECTION_VIRTUAL_SIZE),
      rawSize: buf.readUInt32LE(h + PE.SECTION_SIZE_OF_RAW_DATA),
      rawOffset: buf.readUInt32LE(h + PE.SECTION_POINTER_TO_RAW_DATA),
    });
  }
  return out;
}

/** The bytes of section `name` (the smaller of virtual and raw size), or undefined. */
export function peSection(buf: Buffer, name: string, label: string): Buffer | undefined {
  const s = peSections(buf, label).find((x) => x.name === name);
  if (s === undefined) return undefined;
  const size = s.virtualSize > 0 ? Math.min(s.virtualSize, s.rawSize) : s.rawSize;
  if (s.rawOffset + size > buf.length) throw new PeError(`${label}: section ${name} lies beyond the end of the file`);
  return buf.subarray(s.rawOffset, s.rawOffset + size);
}

/** The kernel command line embedded in a UKI (`.cmdline`), NULs and trailing whitespace removed. */
export function ukiCmdline(file: string): string {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new PeError(`${file}: ${(e as Error).message}`);
  }
  const sec = peSection(buf, '.cmdline', file);
  if (sec === undefined) throw new PeError(`${file}: the UKI has no .cmdline section`);
  return sec.toString('utf8').replace(/\0+$/, '').trimEnd();
}
