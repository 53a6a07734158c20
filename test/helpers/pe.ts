import { PE } from '../../src/uki/pe.js';

/** A minimal PE image: DOS header, PE signature, COFF header, optional header of `opt` bytes, sections. */
export function makePe(sections: Array<{ name: string; data: Buffer; virtualSize?: number }>, opt = 240): Buffer {
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

/** A UKI-shaped PE file: `.osrel`, `.cmdline` (NUL-terminated, as ukify writes it) and a dummy `.linux`. */
export function makeUki(cmdline: string): Buffer {
  return makePe([
    { name: '.osrel', data: Buffer.from('ID=debian\n') },
    { name: '.cmdline', data: Buffer.from(`${cmdline}\0`) },
    { name: '.linux', data: Buffer.alloc(4096, 0x90) },
  ]);
}
