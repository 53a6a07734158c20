/**
 * The V1 writer's private working copy of the tree (C mkcomposefs rewrites a deep copy; so do
 * we). Each distinct source `Node` gets one `WNode`; the source tree is never modified.
 */
import type { ByteString, Mtime, Node } from '../../tree/node.js';

export interface WEntry {
  readonly name: ByteString;
  readonly target: WNode;
  /** true for `.`, `..` and hard links (entries that do not own the target's inode) */
  readonly isLink: boolean;
}

export interface WNode {
  /** The source node (undefined for the whiteout stubs). */
  readonly src: Node | undefined;
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  rdev: bigint;
  size: bigint;
  mtime: Mtime;
  payload: ByteString | undefined;
  content: Buffer | undefined;
  digest: Buffer | undefined;
  xattrs: Map<ByteString, Buffer>;
  /** Directories: all entries including `.` and `..`, sorted by name (byte order). */
  entries: WEntry[] | undefined;
  /** Parent through the owning entry (the root's parent is the root). */
  parent: WNode;
  /** The owning entry: directory and name (undefined / '' for the root). */
  ownerDir: WNode | undefined;
  ownerName: ByteString;
  /** BFS index (i_ino), set by the ordering stage. */
  ino: number;
}

/** Options of `writeImageV1` (mkcomposefs flags, §11). */
export interface WriteV1Options {
  /** `--use-epoch`: every mtime is taken as 0.0. */
  useEpoch?: boolean;
  /** `--min-version=N` (0 or 1). */
  minVersion?: number;
  /** `--max-version=N` (0 or 1). */
  maxVersion?: number;
  /**
   * Which directory entry owns the inode of a node reached through several entries (a hard
   * link). C mkcomposefs --from-file lays the inode out at the entry written WITHOUT `@` in the
   * dumpfile, which the tree model does not record. Default: the first entry met in a
   * depth-first, name-ordered walk (what composefs-info dump and composefs-rs write as the
   * original). Return undefined to use the default for that node.
   */
  hardlinkOwner?: (node: Node) => { parent: Node; name: ByteString } | undefined;
  /**
   * Keep a 64-byte (sha512) fs-verity digest whole in `trusted.overlay.metacopy` (length 68,
   * algorithm 2), as composefs-rs writes V0/V1 images of sha512 repositories. Default false: C
   * mkcomposefs truncates every digest to 32 bytes.
   */
  fullDigests?: boolean;
}
