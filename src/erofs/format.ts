/**
 * The composefs EROFS on-disk format, described once (shared/docs/erofs.md §1–§5).
 *
 * Every structure is a `StructDef`: its byte size and a list of named fields
 * `{ offset, size, type }` that tile the structure exactly (reserved bytes are named fields too,
 * checked when the module loads). `encodeStruct`/`decodeStruct` read and write any of them; the
 * typed wrappers (`encodeSuperblock`, `decodeInodeCompact`, …) are what writers and readers use.
 * All integers are little-endian. `u64` fields are `bigint`, byte arrays are `Uint8Array`,
 * everything else is a `number`.
 *
 * Used by the V1 writer (`./v1/`) and meant for the reader and the V2 writer as well: nothing in
 * here is specific to one layout.
 */

// ---------------------------------------------------------------------------------------------
// Generic struct machinery

export type FieldType = 'u8' | 'u16' | 'u32' | 'u64' | 'bytes';

export interface FieldDef {
  readonly offset: number;
  readonly size: number;
  readonly type: FieldType;
}

export interface StructDef<F extends Readonly<Record<string, FieldDef>> = Readonly<Record<string, FieldDef>>> {
  /** The C name of the structure. */
  readonly name: string;
  /** Byte size of the structure. */
  readonly size: number;
  readonly fields: F;
  /** The fields as `{ name, offset, size, type }`, sorted by offset. */
  readonly list: ReadonlyArray<FieldDef & { readonly name: string }>;
}

type FieldValue<T extends FieldDef> = T['type'] extends 'u64' ? bigint : T['type'] extends 'bytes' ? Uint8Array : number;

/** The decoded form of a structure: one property per field. */
export type StructValue<S extends StructDef> = { -readonly [K in keyof S['fields']]: FieldValue<S['fields'][K]> };

const u8 = (offset: number) => ({ offset, size: 1, type: 'u8' }) as const;
const u16 = (offset: number) => ({ offset, size: 2, type: 'u16' }) as const;
const u32 = (offset: number) => ({ offset, size: 4, type: 'u32' }) as const;
const u64 = (offset: number) => ({ offset, size: 8, type: 'u64' }) as const;
const bytes = (offset: number, size: number) => ({ offset, size, type: 'bytes' }) as const;

/** Defines a structure and checks that its fields tile `size` bytes without gaps or overlaps. */
function defineStruct<F extends Readonly<Record<string, FieldDef>>>(name: string, size: number, fields: F): StructDef<F> {
  const list = Object.entries(fields)
    .map(([fieldName, f]) => ({ name: fieldName, offset: f.offset, size: f.size, type: f.type }))
    .sort((a, b) => a.offset - b.offset);
  let at = 0;
  for (const f of list) {
    if (f.offset !== at) throw new Error(`${name}.${f.name}: offset ${f.offset}, expected ${at}`);
    at += f.size;
  }
  if (at !== size) throw new Error(`${name}: fields cover ${at} bytes, expected ${size}`);
  return { name, size, fields, list };
}

/**
 * Writes every field of `s` at `buf[off…]`. Missing fields are written as zero, so the whole
 * structure is always written.
 */
export function encodeStruct<S extends StructDef>(s: S, buf: Buffer, off: number, value: Partial<StructValue<S>>): void {
  const v = value as Record<string, number | bigint | Uint8Array | undefined>;
  for (const f of s.list) {
    const x = v[f.name];
    const at = off + f.offset;
    switch (f.type) {
      case 'u8': buf[at] = (x as number | undefined) ?? 0; break;
      case 'u16': buf.writeUInt16LE((x as number | undefined) ?? 0, at); break;
      case 'u32': buf.writeUInt32LE((x as number | undefined) ?? 0, at); break;
      case 'u64': buf.writeBigUInt64LE((x as bigint | undefined) ?? 0n, at); break;
      case 'bytes': {
        buf.fill(0, at, at + f.size);
        if (x !== undefined) {
          const b = x as Uint8Array;
          if (b.length > f.size) throw new RangeError(`${s.name}.${f.name}: ${b.length} bytes, field has ${f.size}`);
          buf.set(b, at);
        }
        break;
      }
    }
  }
}

/** Reads every field of `s` from `buf[off…]` (throws a RangeError if the buffer is too short). */
export function decodeStruct<S extends StructDef>(s: S, buf: Uint8Array, off: number): StructValue<S> {
  if (off < 0 || off + s.size > buf.length) {
    throw new RangeError(`${s.name}: ${s.size} bytes at offset ${off} exceed the buffer (${buf.length} bytes)`);
  }
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Record<string, number | bigint | Uint8Array> = {};
  for (const f of s.list) {
    const at = off + f.offset;
    switch (f.type) {
      case 'u8': out[f.name] = b[at]!; break;
      case 'u16': out[f.name] = b.readUInt16LE(at); break;
      case 'u32': out[f.name] = b.readUInt32LE(at); break;
      case 'u64': out[f.name] = b.readBigUInt64LE(at); break;
      case 'bytes': out[f.name] = Uint8Array.prototype.slice.call(b, at, at + f.size); break;
    }
  }
  return out as StructValue<S>;
}

// ---------------------------------------------------------------------------------------------
// Geometry

export const BLOCK_BITS = 12;
export const BLOCK_SIZE = 1 << BLOCK_BITS; // 4096
/** Inodes start on 32-byte "slots"; nid = byte offset / 32 (meta_blkaddr is 0). */
export const SLOT_BITS = 5;
export const SLOT_SIZE = 1 << SLOT_BITS; // 32
/** Offset of the EROFS superblock. */
export const SUPERBLOCK_OFFSET = 0x400;
/** First inode offset: right after the superblock (nid 36). */
export const INODES_START = SUPERBLOCK_OFFSET + 128; // 0x480
/** EROFS_NULL_ADDR: a hole in a chunk map. */
export const NULL_ADDR = 0xffffffff;
/** Max inline regular-file content composefs accepts (C `LCFS_BUILD_INLINE_FILE_SIZE_LIMIT`). */
export const MAX_INLINE_CONTENT = 5000;
/** Max path / symlink target length + 1. */
export const PATH_MAX = 4096;

// ---------------------------------------------------------------------------------------------
// composefs header (offset 0, 32 bytes; §2)

export const COMPOSEFS_MAGIC = 0xd078629a;
/** Header `version`: the container format version; readers reject anything else. */
export const COMPOSEFS_HEADER_VERSION = 1;
/** Header flag: some inode carries a POSIX ACL xattr. */
export const COMPOSEFS_FLAG_HAS_ACL = 0x1;

export const COMPOSEFS_HEADER = defineStruct('lcfs_erofs_header_s', 32, {
  magic: u32(0x00),
  version: u32(0x04),
  flags: u32(0x08),
  composefs_version: u32(0x0c),
  unused: bytes(0x10, 16),
});
export type ComposefsHeader = StructValue<typeof COMPOSEFS_HEADER>;
export const encodeComposefsHeader = (buf: Buffer, off: number, v: Partial<ComposefsHeader>): void =>
  encodeStruct(COMPOSEFS_HEADER, buf, off, v);
export const decodeComposefsHeader = (buf: Uint8Array, off = 0): ComposefsHeader => decodeStruct(COMPOSEFS_HEADER, buf, off);

// ---------------------------------------------------------------------------------------------
// EROFS superblock (offset 0x400, 128 bytes; §3)

export const EROFS_MAGIC = 0xe0f5e1e2;
export const FEATURE_COMPAT_SB_CHKSUM = 0x1;
export const FEATURE_COMPAT_MTIME = 0x2;
export const FEATURE_COMPAT_XATTR_FILTER = 0x4;
/** What composefs writes (V1 and V2). */
export const COMPOSEFS_FEATURE_COMPAT = FEATURE_COMPAT_MTIME | FEATURE_COMPAT_XATTR_FILTER;
/** Compat bits a restricted reader accepts. */
export const KNOWN_FEATURE_COMPAT = 0x7;
export const FEATURE_INCOMPAT_CHUNKED_FILE = 0x4;
/** Incompat bits a restricted reader accepts. */
export const KNOWN_FEATURE_INCOMPAT = FEATURE_INCOMPAT_CHUNKED_FILE;

export const SUPERBLOCK = defineStruct('erofs_super_block', 128, {
  magic: u32(0x00),
  checksum: u32(0x04),
  feature_compat: u32(0x08),
  blkszbits: u8(0x0c),
  sb_extslots: u8(0x0d),
  root_nid: u16(0x0e),
  inos: u64(0x10),
  build_time: u64(0x18),
  build_time_nsec: u32(0x20),
  blocks: u32(0x24),
  meta_blkaddr: u32(0x28),
  xattr_blkaddr: u32(0x2c),
  uuid: bytes(0x30, 16),
  volume_name: bytes(0x40, 16),
  feature_incompat: u32(0x50),
  available_compr_algs: u16(0x54),
  extra_devices: u16(0x56),
  devt_slotoff: u16(0x58),
  dirblkbits: u8(0x5a),
  xattr_prefix_count: u8(0x5b),
  xattr_prefix_start: u32(0x5c),
  packed_nid: u64(0x60),
  xattr_filter_reserved: u8(0x68),
  reserved: bytes(0x69, 23),
});
export type Superblock = StructValue<typeof SUPERBLOCK>;
/** Encodes the superblock at `off` (normally `SUPERBLOCK_OFFSET`). */
export const encodeSuperblock = (buf: Buffer, off: number, v: Partial<Superblock>): void => encodeStruct(SUPERBLOCK, buf, off, v);
export const decodeSuperblock = (buf: Uint8Array, off = SUPERBLOCK_OFFSET): Superblock => decodeStruct(SUPERBLOCK, buf, off);

// ---------------------------------------------------------------------------------------------
// Inodes (§4)

/** i_format bit 0: 0 = compact (32 bytes), 1 = extended (64 bytes). */
export const I_VERSION_MASK = 0x1;
export const I_VERSION_COMPACT = 0;
export const I_VERSION_EXTENDED = 1;
/** i_format bits 1–3: data layout. */
export const I_DATALAYOUT_BIT = 1;
export const I_DATALAYOUT_MASK = 0x7;
export const LAYOUT_FLAT_PLAIN = 0;
export const LAYOUT_COMPRESSED_FULL = 1;
export const LAYOUT_FLAT_INLINE = 2;
export const LAYOUT_COMPRESSED_COMPACT = 3;
export const LAYOUT_CHUNK_BASED = 4;
export type DataLayout = typeof LAYOUT_FLAT_PLAIN | typeof LAYOUT_FLAT_INLINE | typeof LAYOUT_CHUNK_BASED;

export const iFormat = (extended: boolean, layout: number): number =>
  (extended ? I_VERSION_EXTENDED : I_VERSION_COMPACT) | (layout << I_DATALAYOUT_BIT);
export const iFormatIsExtended = (format: number): boolean => (format & I_VERSION_MASK) === I_VERSION_EXTENDED;
export const iFormatLayout = (format: number): number => (format >> I_DATALAYOUT_BIT) & I_DATALAYOUT_MASK;

export const INODE_COMPACT = defineStruct('erofs_inode_compact', 32, {
  i_format: u16(0x00),
  i_xattr_icount: u16(0x02),
  i_mode: u16(0x04),
  i_nlink: u16(0x06),
  i_size: u32(0x08),
  i_reserved: u32(0x0c),
  /** raw_blkaddr / rdev / chunk format, see §4.5 */
  i_u: u32(0x10),
  i_ino: u32(0x14),
  i_uid: u16(0x18),
  i_gid: u16(0x1a),
  i_reserved2: u32(0x1c),
});
export type InodeCompact = StructValue<typeof INODE_COMPACT>;

export const INODE_EXTENDED = defineStruct('erofs_inode_extended', 64, {
  i_format: u16(0x00),
  i_xattr_icount: u16(0x02),
  i_mode: u16(0x04),
  i_reserved: u16(0x06),
  i_size: u64(0x08),
  i_u: u32(0x10),
  i_ino: u32(0x14),
  i_uid: u32(0x18),
  i_gid: u32(0x1c),
  i_mtime: u64(0x20),
  i_mtime_nsec: u32(0x28),
  i_nlink: u32(0x2c),
  i_reserved2: bytes(0x30, 16),
});
export type InodeExtended = StructValue<typeof INODE_EXTENDED>;

export const INODE_COMPACT_SIZE = INODE_COMPACT.size; // 32
export const INODE_EXTENDED_SIZE = INODE_EXTENDED.size; // 64

/**
 * Compact inode encoder. Hot path of the writer: direct writes at the described offsets (the
 * reserved fields are left as they are: the writer's buffer is zero-filled).
 */
export function encodeInodeCompact(buf: Buffer, off: number, v: Omit<InodeCompact, 'i_reserved' | 'i_reserved2'>): void {
  const F = INODE_COMPACT.fields;
  buf.writeUInt16LE(v.i_format, off + F.i_format.offset);
  buf.writeUInt16LE(v.i_xattr_icount, off + F.i_xattr_icount.offset);
  buf.writeUInt16LE(v.i_mode, off + F.i_mode.offset);
  buf.writeUInt16LE(v.i_nlink, off + F.i_nlink.offset);
  buf.writeUInt32LE(v.i_size, off + F.i_size.offset);
  buf.writeUInt32LE(v.i_u, off + F.i_u.offset);
  buf.writeUInt32LE(v.i_ino, off + F.i_ino.offset);
  buf.writeUInt16LE(v.i_uid, off + F.i_uid.offset);
  buf.writeUInt16LE(v.i_gid, off + F.i_gid.offset);
}
export const decodeInodeCompact = (buf: Uint8Array, off: number): InodeCompact => decodeStruct(INODE_COMPACT, buf, off);

/** Extended inode encoder (reserved fields left as they are, see `encodeInodeCompact`). */
export function encodeInodeExtended(buf: Buffer, off: number, v: Omit<InodeExtended, 'i_reserved' | 'i_reserved2'>): void {
  const F = INODE_EXTENDED.fields;
  buf.writeUInt16LE(v.i_format, off + F.i_format.offset);
  buf.writeUInt16LE(v.i_xattr_icount, off + F.i_xattr_icount.offset);
  buf.writeUInt16LE(v.i_mode, off + F.i_mode.offset);
  buf.writeBigUInt64LE(v.i_size, off + F.i_size.offset);
  buf.writeUInt32LE(v.i_u, off + F.i_u.offset);
  buf.writeUInt32LE(v.i_ino, off + F.i_ino.offset);
  buf.writeUInt32LE(v.i_uid, off + F.i_uid.offset);
  buf.writeUInt32LE(v.i_gid, off + F.i_gid.offset);
  buf.writeBigUInt64LE(v.i_mtime, off + F.i_mtime.offset);
  buf.writeUInt32LE(v.i_mtime_nsec, off + F.i_mtime_nsec.offset);
  buf.writeUInt32LE(v.i_nlink, off + F.i_nlink.offset);
}
export const decodeInodeExtended = (buf: Uint8Array, off: number): InodeExtended => decodeStruct(INODE_EXTENDED, buf, off);

/** The fields common to both inode versions, as a reader wants them. */
export interface InodeInfo {
  extended: boolean;
  /** 32 or 64 */
  inodeSize: number;
  layout: number;
  format: number;
  xattrIcount: number;
  mode: number;
  nlink: number;
  size: bigint;
  /** raw_blkaddr, rdev or chunk format (§4.5) */
  u: number;
  ino: number;
  uid: number;
  gid: number;
  /** undefined for compact inodes (their mtime is the superblock build_time) */
  mtime?: { sec: bigint; nsec: number };
}

/** Decodes the inode at byte offset `off`, compact or extended. */
export function decodeInode(buf: Uint8Array, off: number): InodeInfo {
  if (off + 2 > buf.length) throw new RangeError(`inode at ${off}: beyond the image`);
  const format = (buf[off]! | (buf[off + 1]! << 8));
  if (iFormatIsExtended(format)) {
    const x = decodeInodeExtended(buf, off);
    return {
      extended: true, inodeSize: INODE_EXTENDED_SIZE, layout: iFormatLayout(format), format,
      xattrIcount: x.i_xattr_icount, mode: x.i_mode, nlink: x.i_nlink, size: x.i_size, u: x.i_u, ino: x.i_ino,
      uid: x.i_uid, gid: x.i_gid, mtime: { sec: BigInt.asIntN(64, x.i_mtime), nsec: x.i_mtime_nsec },
    };
  }
  const c = decodeInodeCompact(buf, off);
  return {
    extended: false, inodeSize: INODE_COMPACT_SIZE, layout: iFormatLayout(format), format,
    xattrIcount: c.i_xattr_icount, mode: c.i_mode, nlink: c.i_nlink, size: BigInt(c.i_size), u: c.i_u, ino: c.i_ino,
    uid: c.i_uid, gid: c.i_gid,
  };
}

// ---------------------------------------------------------------------------------------------
// Chunk-based files (§4.5, §5.7)

/** Bit of the chunk format word meaning "the map holds 8-byte chunk indexes" (never set by composefs). */
export const CHUNK_FORMAT_INDEXES = 0x20;
/** Low bits of the chunk format word: chunkbits − blkszbits. */
export const CHUNK_FORMAT_BLKBITS_MASK = 0x1f;
/** Size of one block-map entry (a u32 block address). */
export const CHUNK_MAP_ENTRY_SIZE = 4;
/** Size of one chunk index entry (`erofs_inode_chunk_index`), if `CHUNK_FORMAT_INDEXES` were set. */
export const CHUNK_INDEX_SIZE = 8;
/** Largest chunkbits composefs uses: blkszbits + 31. */
export const MAX_CHUNK_BITS = BLOCK_BITS + CHUNK_FORMAT_BLKBITS_MASK;

export const CHUNK_INDEX = defineStruct('erofs_inode_chunk_index', 8, {
  advise: u16(0x00),
  device_id: u16(0x02),
  blkaddr: u32(0x04),
});

// ---------------------------------------------------------------------------------------------
// Extended attributes (§5.1–§5.4)

/** Size of the in-inode xattr area header. */
export const XATTR_IBODY_HEADER = defineStruct('erofs_xattr_ibody_header', 12, {
  h_name_filter: u32(0x00),
  h_shared_count: u8(0x04),
  h_reserved2: bytes(0x05, 7),
});
export const XATTR_IBODY_HEADER_SIZE = XATTR_IBODY_HEADER.size; // 12
/** Each shared reference in the ibody is a u32 id. */
export const XATTR_SHARED_ID_SIZE = 4;

export const XATTR_ENTRY = defineStruct('erofs_xattr_entry', 4, {
  e_name_len: u8(0x00),
  e_name_index: u8(0x01),
  e_value_size: u16(0x02),
});
export const XATTR_ENTRY_HEADER_SIZE = XATTR_ENTRY.size; // 4
/** Entries (and the whole xattr area) are 4-byte aligned. */
export const XATTR_ALIGN = 4;
/** Most shared references C mkcomposefs puts in one inode (the rest go inline). */
export const MAX_SHARED_XATTR_REFS = 128;

/** Seed of the per-inode name bloom filter: xxh32(suffix, XATTR_FILTER_SEED + index). */
export const XATTR_FILTER_SEED = 0x25bbe08f;
export const XATTR_FILTER_BITS = 32;
/** Bit 7 of e_name_index: long-prefix reference (never used by composefs; readers reject it). */
export const XATTR_LONG_PREFIX_FLAG = 0x80;

/** xattr name prefix indexes (e_name_index). */
export const XATTR_INDEX_NONE = 0;
export const XATTR_INDEX_USER = 1;
export const XATTR_INDEX_POSIX_ACL_ACCESS = 2;
export const XATTR_INDEX_POSIX_ACL_DEFAULT = 3;
export const XATTR_INDEX_TRUSTED = 4;
export const XATTR_INDEX_LUSTRE = 5;
export const XATTR_INDEX_SECURITY = 6;

/** Reader table: index → prefix (index 0 = no prefix). */
export const XATTR_PREFIXES: readonly string[] = [
  '',
  'user.',
  'system.posix_acl_access',
  'system.posix_acl_default',
  'trusted.',
  'lustre.',
  'security.',
];

/**
 * Writer table of C mkcomposefs 1.0.8 (first match wins): `lustre.` is deliberately absent, such
 * names are stored with index 0 and the full name. (composefs-rs V2 also matches `lustre.`.)
 */
export const XATTR_WRITER_PREFIXES: ReadonlyArray<readonly [index: number, prefix: string]> = [
  [XATTR_INDEX_USER, 'user.'],
  [XATTR_INDEX_POSIX_ACL_ACCESS, 'system.posix_acl_access'],
  [XATTR_INDEX_POSIX_ACL_DEFAULT, 'system.posix_acl_default'],
  [XATTR_INDEX_TRUSTED, 'trusted.'],
  [XATTR_INDEX_SECURITY, 'security.'],
];

/** Splits a full xattr name into (prefix index, suffix) using the C writer table. */
export function splitXattrName(key: string): { index: number; suffix: string } {
  for (const [index, prefix] of XATTR_WRITER_PREFIXES) {
    if (key.startsWith(prefix)) return { index, suffix: key.slice(prefix.length) };
  }
  return { index: XATTR_INDEX_NONE, suffix: key };
}

/** Padded on-disk size of one xattr entry. */
export const xattrEntrySize = (suffixLen: number, valueLen: number): number =>
  (XATTR_ENTRY_HEADER_SIZE + suffixLen + valueLen + XATTR_ALIGN - 1) & ~(XATTR_ALIGN - 1);

/** i_xattr_icount for an xattr area of `xattrSize` bytes (0 = no area). */
export const xattrIcount = (xattrSize: number): number =>
  xattrSize === 0 ? 0 : (xattrSize - XATTR_IBODY_HEADER_SIZE) / XATTR_SHARED_ID_SIZE + 1;
/** Inverse of `xattrIcount`. */
export const xattrAreaSize = (icount: number): number =>
  icount === 0 ? 0 : XATTR_IBODY_HEADER_SIZE + XATTR_SHARED_ID_SIZE * (icount - 1);

/**
 * Writes one xattr entry (header, name suffix as a byte string, value) at `off`; returns the
 * padded size. Padding bytes are left as they are (the writer's buffer is zero-filled).
 */
export function encodeXattrEntry(buf: Buffer, off: number, index: number, suffix: string, value: Uint8Array): number {
  buf[off] = suffix.length;
  buf[off + 1] = index;
  buf.writeUInt16LE(value.length, off + 2);
  buf.write(suffix, off + XATTR_ENTRY_HEADER_SIZE, 'latin1');
  buf.set(value, off + XATTR_ENTRY_HEADER_SIZE + suffix.length);
  return xattrEntrySize(suffix.length, value.length);
}

export interface XattrEntry {
  index: number;
  /** name suffix as a byte string */
  suffix: string;
  value: Buffer;
  /** padded entry size */
  size: number;
}

/** Reads one xattr entry at `off` (the buffer must hold it). */
export function decodeXattrEntry(buf: Buffer, off: number): XattrEntry {
  const h = decodeStruct(XATTR_ENTRY, buf, off);
  const nameAt = off + XATTR_ENTRY_HEADER_SIZE;
  const valueAt = nameAt + h.e_name_len;
  if (valueAt + h.e_value_size > buf.length) throw new RangeError(`xattr entry at ${off}: beyond the image`);
  return {
    index: h.e_name_index,
    suffix: buf.toString('latin1', nameAt, valueAt),
    value: buf.subarray(valueAt, valueAt + h.e_value_size),
    size: xattrEntrySize(h.e_name_len, h.e_value_size),
  };
}

// ---------------------------------------------------------------------------------------------
// Directories (§5.5)

export const DIRENT = defineStruct('erofs_dirent', 12, {
  nid: u64(0x00),
  nameoff: u16(0x08),
  file_type: u8(0x0a),
  reserved: u8(0x0b),
});
export const DIRENT_SIZE = DIRENT.size; // 12

/** Dirent write in the hot path (reserved byte left as it is). */
export function encodeDirent(buf: Buffer, off: number, nid: number, nameoff: number, fileType: number): void {
  buf.writeUInt32LE(nid >>> 0, off); // nid < 2^32 always (offsets are < 2^37 / 32)
  buf.writeUInt32LE(Math.floor(nid / 0x100000000), off + 4);
  buf.writeUInt16LE(nameoff, off + DIRENT.fields.nameoff.offset);
  buf[off + DIRENT.fields.file_type.offset] = fileType;
}
export const decodeDirent = (buf: Uint8Array, off: number): StructValue<typeof DIRENT> => decodeStruct(DIRENT, buf, off);

export interface DirentInfo {
  nid: bigint;
  fileType: number;
  /** name as a byte string */
  name: string;
}

/**
 * Decodes one directory chunk: a full block (`len` = 4096) or an inline tail (`len` = tail
 * length) at `buf[off…off+len)`. The count is nameoff[0] / 12; name i spans nameoff[i] ..
 * nameoff[i+1]; the last name ends at the first NUL or at `len` (§5.5, §8.2). Throws a
 * RangeError on inconsistent offsets.
 */
export function decodeDirChunk(buf: Buffer, off: number, len: number): DirentInfo[] {
  if (len < DIRENT_SIZE || off + len > buf.length) throw new RangeError(`directory chunk of ${len} bytes at ${off}: too short or beyond the image`);
  const first = buf.readUInt16LE(off + DIRENT.fields.nameoff.offset);
  if (first % DIRENT_SIZE !== 0 || first === 0 || first > len) throw new RangeError(`directory chunk at ${off}: bad nameoff[0] ${first}`);
  const n = first / DIRENT_SIZE;
  const out: DirentInfo[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const at = off + i * DIRENT_SIZE;
    const start = buf.readUInt16LE(at + DIRENT.fields.nameoff.offset);
    let end: number;
    if (i + 1 < n) end = buf.readUInt16LE(at + DIRENT_SIZE + DIRENT.fields.nameoff.offset);
    else {
      const nul = buf.indexOf(0, off + start);
      end = nul < 0 || nul >= off + len ? len : nul - off;
    }
    if (start < first || end < start || end > len) throw new RangeError(`directory chunk at ${off}: bad name offsets ${start}..${end}`);
    out[i] = {
      nid: buf.readBigUInt64LE(at),
      fileType: buf[at + DIRENT.fields.file_type.offset]!,
      name: buf.toString('latin1', off + start, off + end),
    };
  }
  return out;
}

/** Dirent file types (`EROFS_FT_*`). */
export const FT_UNKNOWN = 0;
export const FT_REG_FILE = 1;
export const FT_DIR = 2;
export const FT_CHRDEV = 3;
export const FT_BLKDEV = 4;
export const FT_FIFO = 5;
export const FT_SOCK = 6;
export const FT_SYMLINK = 7;

/** Dirent file type of an st_mode. */
export function fileTypeOfMode(mode: number): number {
  switch (mode & 0o170000) {
    case 0o100000: return FT_REG_FILE;
    case 0o040000: return FT_DIR;
    case 0o020000: return FT_CHRDEV;
    case 0o060000: return FT_BLKDEV;
    case 0o010000: return FT_FIFO;
    case 0o140000: return FT_SOCK;
    case 0o120000: return FT_SYMLINK;
    default: return FT_UNKNOWN;
  }
}

/** A directory whose inline tail would exceed this becomes one more full block (V1 and V2). */
export const DIR_TAIL_MAX = BLOCK_SIZE / 2;

// ---------------------------------------------------------------------------------------------
// overlayfs metadata stored as xattrs (§6.3)

export const OVERLAY_PREFIX = 'trusted.overlay.';
export const OVERLAY_ESCAPED_PREFIX = 'trusted.overlay.overlay.';
export const XATTR_METACOPY = 'trusted.overlay.metacopy';
export const XATTR_REDIRECT = 'trusted.overlay.redirect';
export const XATTR_OPAQUE = 'trusted.overlay.opaque';
export const XATTR_ESCAPED_WHITEOUT = 'trusted.overlay.overlay.whiteout';
export const XATTR_ESCAPED_WHITEOUTS = 'trusted.overlay.overlay.whiteouts';
export const XATTR_ESCAPED_OPAQUE = 'trusted.overlay.overlay.opaque';
export const XATTR_USER_WHITEOUT = 'user.overlay.whiteout';
export const XATTR_USER_WHITEOUTS = 'user.overlay.whiteouts';
export const XATTR_USER_OPAQUE = 'user.overlay.opaque';
export const XATTR_SELINUX = 'security.selinux';
export const XATTR_POSIX_ACL_ACCESS = 'system.posix_acl_access';
export const XATTR_POSIX_ACL_DEFAULT = 'system.posix_acl_default';

/** overlayfs metacopy value: version 0, length, flags 0, hash algorithm (1 = sha256, 2 = sha512), digest. */
export const METACOPY_HEADER_SIZE = 4;
export function encodeMetacopy(digest: Uint8Array | undefined): Buffer {
  if (digest === undefined) return Buffer.alloc(0);
  const v = Buffer.alloc(METACOPY_HEADER_SIZE + digest.length);
  v[0] = 0;
  v[1] = v.length;
  v[2] = 0;
  v[3] = digest.length === 64 ? 2 : 1;
  v.set(digest, METACOPY_HEADER_SIZE);
  return v;
}

// ---------------------------------------------------------------------------------------------
// composefs-rs native V2 layout (§13): the few values that differ from V1

/** Header `composefs_version` of a composefs-rs V2 image. */
export const COMPOSEFS_VERSION_V2 = 2;
/** V2 writes every external file as ONE chunk of 2^(12+31) bytes: i_u is always 31. */
export const V2_CHUNK_FORMAT = CHUNK_FORMAT_BLKBITS_MASK;

/** Writer table of composefs-rs V2: the C table plus `lustre.` (index 5); prefixes never overlap. */
export const XATTR_WRITER_PREFIXES_V2: ReadonlyArray<readonly [index: number, prefix: string]> = [
  ...XATTR_WRITER_PREFIXES,
  [XATTR_INDEX_LUSTRE, 'lustre.'],
];

/** Splits a full xattr name into (prefix index, suffix) using the composefs-rs V2 table. */
export function splitXattrNameV2(key: string): { index: number; suffix: string } {
  for (const [index, prefix] of XATTR_WRITER_PREFIXES_V2) {
    if (key.startsWith(prefix)) return { index, suffix: key.slice(prefix.length) };
  }
  return { index: XATTR_INDEX_NONE, suffix: key };
}
