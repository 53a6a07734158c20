/**
 * The V2 writer's view of the tree (erofs.md §13): one `V2Inode` per serialized inode, in
 * inode (DFS) order. The source tree is never modified.
 */
import type { ByteString, Node } from '../../tree/node.js';

/** Options of `writeImageV2`. */
export interface WriteV2Options {
  /** Every mtime is taken as 0 (mkcomposefs `--use-epoch` for a directory source). */
  useEpoch?: boolean;
}

export class V2Error extends Error {
  constructor(message: string, readonly code = 'EINVAL') {
    super(message);
  }
}

/** What an inode stores and how (composefs-rs `LeafContent`/`RegularFile`). */
export const V2Kind = {
  Dir: 0,
  /** always inline (FLAT_INLINE), whatever its length */
  Symlink: 1,
  /** regular file with content: the whole content inline (FLAT_INLINE) */
  InlineFile: 2,
  /** external file with a digest (rs `External`): CHUNK_BASED, one `ff ff ff ff` map entry */
  External: 3,
  /**
   * external file without a digest (rs `ExternalNoVerity` with a payload, `Sparse` without):
   * CHUNK_BASED but NO map entry, as composefs-rs writes it (§15 item 6)
   */
  ExternalNoMap: 4,
  /** empty files, devices, fifos, sockets */
  Plain: 5,
} as const;
export type V2Kind = (typeof V2Kind)[keyof typeof V2Kind];

export interface V2Entry {
  readonly name: ByteString;
  /** index of the target inode */
  readonly inode: number;
}

export interface V2Inode {
  readonly src: Node;
  readonly kind: V2Kind;
  /** full st_mode (type + permissions), 16 bits */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** leaves: references in the tree; directories: 2 + subdirectories */
  nlink: number;
  /** i_u of devices */
  readonly rdev: number;
  /** i_size of files (regular: st_size; symlink: target length) — directories get theirs in the layout */
  readonly size: bigint;
  /** mtime seconds as the u64 bit pattern (V2 drops the nanoseconds) */
  readonly mtime: bigint;
  /** symlink target or inline content, written after inode + xattrs */
  readonly inline: Buffer | undefined;
  /** xattrs in V2 insertion order: metacopy, redirect, then the node's own in (pre-escape) name order */
  readonly xattrs: ReadonlyArray<readonly [ByteString, Buffer]>;
  /** directories: entries including `.` and `..`, sorted by name (byte order) */
  entries: V2Entry[] | undefined;
}
