/**
 * A pool of worker threads computing fs-verity digests of many files (and reading the content of
 * small ones), for the directory scanner.
 *
 * Workers are `eval` workers whose source only `require`s node builtins, so the pool also works
 * inside the single executable (a bundled CommonJS Node SEA cannot start a worker from a module
 * file). The worker carries its own compact copy of the Merkle tree construction of merkle.ts;
 * the unit tests hold the two against each other.
 *
 * Requests are batched: many small files travel in one message and come back in one packed
 * buffer, so the per-file cost is a few system calls and two or three `crypto.hash` calls.
 * Batches wait in a queue on the calling thread; every worker has at most `maxInflight` batches
 * assigned at a time, so work is balanced by pulling. Files of at least `splitThreshold` bytes
 * (with a size hint and more than one thread) are cut into block-aligned ranges that different
 * workers hash in parallel; their leaf hashes are joined here with merkle.ts.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { BLOCK_SIZE } from './descriptor.js';
import { HASHES, type HashName } from './hashes.js';
import { MerkleBuilder } from './merkle.js';
import { PARALLEL_THRESHOLD, READ_CHUNK } from './chunks.js';

export interface DigestPoolOptions {
  /** Worker threads. Default: available cores. */
  threads?: number;
  /** Algorithm used when `digest()` is called without one. Default sha256. */
  hash?: HashName;
  /** Most files per message. Default 256. */
  batchFiles?: number;
  /** A batch is sent once its files add up to this many bytes. Default 1 MiB. */
  batchBytes?: number;
  /** Batches assigned to one worker at a time. Default 4. */
  maxInflight?: number;
  /**
   * Files of at least this many bytes (as told by the size hint) are split across workers when
   * there is more than one. Default PARALLEL_THRESHOLD (32 MiB).
   */
  splitThreshold?: number;
  /** Size of one range of a split file; rounded up to whole blocks. Default 8 MiB. */
  splitChunk?: number;
}

/** Error of one file: `message` is `<path>: <CODE or text>`, `code` the errno name if any. */
export class PoolFileError extends Error {
  constructor(
    readonly path: string,
    readonly code: string | undefined,
    readonly detail: string,
  ) {
    super(`${path}: ${detail}`);
    this.name = 'PoolFileError';
  }
}

const enum Kind {
  /** Whole-file digest; `a` = expected size or -1. */
  Digest = 0,
  /** Read exactly `a` bytes of content. */
  Content = 1,
  /** Leaf hashes of [a, b) of a file whose total size must be `c`. */
  Range = 2,
}

interface Item {
  kind: Kind;
  /** Path as a byte string (latin1), converted back to bytes in the worker. */
  path: string;
  hash: HashName;
  a: number;
  b: number;
  c: number;
  /** The path as given, for errors. */
  label: PoolPath;
  /** Called once with the error or the raw result (a view into the reply buffer). */
  done: (err: Error | null, out?: Uint8Array) => void;
}

interface Batch {
  id: number;
  items: Item[];
  bytes: number;
}

interface Slot {
  worker: Worker;
  inflight: Map<number, Batch>;
}

/** Path given as a string (UTF-8 as Node's fs takes it), raw bytes, or with `{ bytes }` a byte string. */
export type PoolPath = string | Uint8Array;

const CONTENT_MAX = 1 << 20;

export class DigestPool {
  readonly threads: number;
  readonly defaultHash: HashName;
  private readonly batchFiles: number;
  private readonly batchBytes: number;
  private readonly maxInflight: number;
  private readonly splitThreshold: number;
  private readonly splitChunk: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Batch[] = [];
  private current: Batch | undefined;
  private flushScheduled = false;
  private nextId = 1;
  private closed = false;
  private failure: Error | undefined;

  constructor(opts: DigestPoolOptions = {}) {
    this.threads = Math.max(1, Math.floor(opts.threads ?? availableParallelism()));
    this.defaultHash = opts.hash ?? 'sha256';
    this.batchFiles = Math.max(1, opts.batchFiles ?? 256);
    this.batchBytes = Math.max(1, opts.batchBytes ?? 1 << 20);
    this.maxInflight = Math.max(1, opts.maxInflight ?? 4);
    this.splitThreshold = opts.splitThreshold ?? PARALLEL_THRESHOLD;
    this.splitChunk = Math.max(BLOCK_SIZE, Math.ceil((opts.splitChunk ?? 8 << 20) / BLOCK_SIZE) * BLOCK_SIZE);
    for (let i = 0; i < this.threads; i++) this.slots.push(this.spawn());
  }

  /**
   * fs-verity digest of the file at `path` (all bytes up to end of file). With `sizeHint`, the
   * file must have exactly that size when read (else the promise rejects: the file changed),
   * and large files are hashed by several workers.
   */
  digest(path: PoolPath, hash: HashName = this.defaultHash, sizeHint?: number | bigint): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.digestCb(path, hash, sizeHint, (err, d) => (err !== null ? reject(err) : resolve(d as Buffer)));
    });
  }

  /** Exactly `size` bytes of the file's content (for small files; rejects if the file is shorter). */
  readContent(path: PoolPath, size: number | bigint): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.readContentCb(path, size, (err, c) => (err !== null ? reject(err) : resolve(c as Buffer)));
    });
  }

  /** Callback form of `digest()`, without promise overhead (for scanning many files). */
  digestCb(path: PoolPath, hash: HashName, sizeHint: number | bigint | undefined, cb: (err: Error | null, digest?: Buffer) => void): void {
    const size = sizeHint === undefined ? -1 : Number(sizeHint);
    const p = toByteString(path);
    if (size >= this.splitThreshold && this.threads > 1 && size > this.splitChunk) {
      this.splitDigest(p, path, hash, size, cb);
      return;
    }
    this.add({ kind: Kind.Digest, path: p, hash, a: size, b: 0, c: 0, label: path, done: copyOut(cb) }, Math.max(size, 0) + 4096);
  }

  /** Callback form of `readContent()`. */
  readContentCb(path: PoolPath, size: number | bigint, cb: (err: Error | null, content?: Buffer) => void): void {
    const n = Number(size);
    if (!(n >= 0 && n <= CONTENT_MAX)) {
      queueMicrotask(() => cb(new RangeError(`readContent: size ${n} out of range`)));
      return;
    }
    this.add({ kind: Kind.Content, path: toByteString(path), hash: this.defaultHash, a: n, b: 0, c: 0, label: path, done: copyOut(cb) }, n + 4096);
  }

  /** Sends the batch being filled now instead of waiting for it to fill up or for the next turn. */
  flush(): void {
    const b = this.current;
    if (b === undefined) return;
    this.current = undefined;
    this.queue.push(b);
    this.dispatch();
  }

  /** Stops the workers; pending requests reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new Error('digest pool closed');
    this.failAll(err);
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private splitDigest(path: string, label: PoolPath, hash: HashName, size: number, cb: (err: Error | null, digest?: Buffer) => void): void {
    const parts: Uint8Array[] = [];
    let remaining = 0;
    let failed = false;
    for (let start = 0, i = 0; start < size; start += this.splitChunk, i++) {
      const end = Math.min(size, start + this.splitChunk);
      remaining++;
      const index = i;
      const done = (err: Error | null, out?: Uint8Array): void => {
        if (failed) return;
        if (err !== null) {
          failed = true;
          cb(err);
          return;
        }
        parts[index] = Uint8Array.from(out as Uint8Array);
        if (--remaining > 0) return;
        const tree = new MerkleBuilder(hash);
        for (const l of parts) tree.addLeafHashes(l);
        cb(null, tree.fileDigest(size));
      };
      this.add({ kind: Kind.Range, path, hash, a: start, b: end, c: size, label, done }, this.batchBytes);
    }
  }

  private add(item: Item, cost: number): void {
    if (this.closed || this.failure !== undefined) {
      item.done(this.failure ?? new Error('digest pool closed'));
      return;
    }
    let b = this.current;
    if (b === undefined) {
      b = { id: this.nextId++, items: [], bytes: 0 };
      this.current = b;
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => {
          this.flushScheduled = false;
          this.flush();
        });
      }
    }
    b.items.push(item);
    b.bytes += cost;
    if (b.items.length >= this.batchFiles || b.bytes >= this.batchBytes) this.flush();
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let best: Slot | undefined;
      for (const s of this.slots) {
        if (s.inflight.size < this.maxInflight && (best === undefined || s.inflight.size < best.inflight.size)) best = s;
      }
      if (best === undefined) return;
      const batch = this.queue.shift() as Batch;
      if (best.inflight.size === 0) best.worker.ref();
      best.inflight.set(batch.id, batch);
      const n = batch.items.length;
      const kinds = new Uint8Array(n);
      const nums = new Float64Array(n * 3);
      const paths: string[] = new Array<string>(n);
      const hashes: string[] = new Array<string>(n);
      for (let i = 0; i < n; i++) {
        const it = batch.items[i] as Item;
        kinds[i] = it.kind;
        nums[i * 3] = it.a;
        nums[i * 3 + 1] = it.b;
        nums[i * 3 + 2] = it.c;
        paths[i] = it.path;
        hashes[i] = it.hash;
      }
      best.worker.postMessage({ id: batch.id, kinds, nums, paths, hashes }, [kinds.buffer, nums.buffer]);
    }
  }

  private spawn(): Slot {
    const worker = new Worker(POOL_WORKER_SOURCE, {
      eval: true,
      workerData: { chunk: READ_CHUNK, blockSize: BLOCK_SIZE },
      env: {},
      execArgv: [],
    });
    worker.unref();
    const slot: Slot = { worker, inflight: new Map() };
    worker.on('message', (m: WorkerReply) => this.onReply(slot, m));
    worker.on('error', (e: Error) => this.onWorkerDeath(slot, e));
    worker.on('exit', (code) => {
      if (!this.closed) this.onWorkerDeath(slot, new Error(`digest worker exited with code ${code}`));
    });
    return slot;
  }

  private onReply(slot: Slot, m: WorkerReply): void {
    const batch = slot.inflight.get(m.id);
    if (batch === undefined) return;
    slot.inflight.delete(m.id);
    if (slot.inflight.size === 0) slot.worker.unref();
    const data = new Uint8Array(m.data);
    let start = 0;
    for (let i = 0; i < batch.items.length; i++) {
      const it = batch.items[i] as Item;
      const end = m.ends[i] as number;
      const err = m.errors[i];
      try {
        if (err !== undefined && err !== null) {
          it.done(new PoolFileError(displayPath(it.label), err.code, err.code ?? err.message));
        } else {
          it.done(null, data.subarray(start, end));
        }
      } catch (e) {
        // A throwing callback must not starve the other items of the batch.
        queueMicrotask(() => {
          throw e;
        });
      }
      start = end;
    }
    this.dispatch();
  }

  private onWorkerDeath(slot: Slot, e: Error): void {
    if (this.failure !== undefined || this.closed) return;
    this.failure = new Error(`digest worker failed: ${e.message}`, { cause: e });
    this.failAll(this.failure);
    for (const s of this.slots) if (s !== slot) void s.worker.terminate();
  }

  private failAll(err: Error): void {
    const batches: Batch[] = [...this.queue];
    this.queue.length = 0;
    if (this.current !== undefined) batches.push(this.current);
    this.current = undefined;
    for (const s of this.slots) {
      batches.push(...s.inflight.values());
      s.inflight.clear();
    }
    for (const b of batches) for (const it of b.items) it.done(err);
  }
}

interface WorkerReply {
  id: number;
  data: ArrayBuffer;
  ends: number[];
  errors: Array<{ code?: string; message: string } | null | undefined>;
}

function copyOut(cb: (err: Error | null, out?: Buffer) => void): (err: Error | null, out?: Uint8Array) => void {
  return (err, out) => (err !== null ? cb(err) : cb(null, Buffer.from(out as Uint8Array)));
}

// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

function toByteString(p: PoolPath): string {
  if (typeof p === 'string') return NON_ASCII.test(p) ? Buffer.from(p, 'utf8').toString('latin1') : p;
  return Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString('latin1');
}

function displayPath(p: PoolPath): string {
  return typeof p === 'string' ? p : Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString('utf8');
}

/** Digest sizes by algorithm, for callers that size buffers. */
export const DIGEST_SIZE: Readonly<Record<HashName, number>> = {
  sha256: HASHES.sha256.digestSize,
  sha512: HASHES.sha512.digestSize,
};

/**
 * The worker. Self-contained: only node builtins. For each item of a batch it writes its result
 * into one growing output buffer and records where it ends; errors are reported per item.
 *
 * Merkle tree (as merkle.ts and the kernel): level 0 holds the hashes of the 4096-byte data
 * blocks (last one zero-padded); every full block of hashes at level i is hashed into level i+1;
 * at the end partial blocks are zero-padded and pushed upwards until one hash remains, which is
 * the root (all zeros for an empty file). The file digest is H(256-byte descriptor).
 */
export const POOL_WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const crypto = require('node:crypto');
const BS = workerData.blockSize;
const CHUNK = workerData.chunk;
const ALG = { sha256: [1, 32], sha512: [2, 64] };
const OPEN_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NOCTTY | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW;
const buf = Buffer.allocUnsafe(CHUNK);
const H = (h, b) => crypto.hash(h, b, 'buffer');

function Tree(h) { this.h = h; this.levels = []; }
Tree.prototype.push = function (i, d) {
  let l = this.levels[i];
  if (l === undefined) { l = { block: Buffer.alloc(BS), fill: 0, total: 0 }; this.levels.push(l); }
  l.block.set(d, l.fill); l.fill += d.length; l.total++;
  if (l.fill === BS) { l.fill = 0; this.push(i + 1, H(this.h, l.block)); }
};
Tree.prototype.root = function (ds) {
  if (this.levels.length === 0) return Buffer.alloc(ds);
  for (let i = 0; ; i++) {
    const l = this.levels[i];
    if (i === this.levels.length - 1 && l.total === 1) return l.block.subarray(0, ds);
    if (l.fill > 0) { l.block.fill(0, l.fill); l.fill = 0; this.push(i + 1, H(this.h, l.block)); }
  }
};
function fileDigest(h, root, size) {
  const d = Buffer.alloc(256);
  d[0] = 1; d[1] = ALG[h][0]; d[2] = 12; d[3] = 0;
  d.writeBigUInt64LE(BigInt(size), 8);
  d.set(root, 16);
  return H(h, d);
}

// Fills buf from fd at pos until full or end of file; returns the byte count.
function fill(fd, pos, want) {
  let got = 0;
  while (got < want) {
    const n = fs.readSync(fd, buf, got, want - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}
function openRegular(p) {
  const fd = fs.openSync(p, OPEN_FLAGS);
  const st = fs.fstatSync(fd);
  if (!st.isFile()) { fs.closeSync(fd); const e = new Error('not a regular file'); e.code = 'EINVAL'; throw e; }
  return [fd, st.size];
}
function changed(detail) { const e = new Error('file changed while being read (' + detail + ')'); throw e; }

// Plain Uint8Array views are cheaper to make than Buffer.subarray views.
const AB = buf.buffer, AB_OFF = buf.byteOffset;
function hashBlocks(h, n, each) {
  let off = 0;
  for (; off + BS <= n; off += BS) each(H(h, new Uint8Array(AB, AB_OFF + off, BS)));
  if (off < n) { buf.fill(0, n, off + BS); each(H(h, new Uint8Array(AB, AB_OFF + off, BS))); }
}

// With a known size the fstat check is skipped: a file replaced by something else fails on read
// (EISDIR) or reads a different number of bytes.
function digestFile(p, h, expect) {
  const fd = expect >= 0 ? fs.openSync(p, OPEN_FLAGS) : openRegular(p)[0];
  try {
    const t = new Tree(h);
    const leaf = (d) => t.push(0, d);
    let pos = 0;
    for (;;) {
      const n = fill(fd, pos, CHUNK);
      if (n === 0) break;
      pos += n;
      hashBlocks(h, n, leaf);
      if (n < CHUNK) break;
    }
    if (expect >= 0 && pos !== expect) changed('expected ' + expect + ' bytes, read ' + pos);
    return fileDigest(h, t.root(ALG[h][1]), pos);
  } finally { fs.closeSync(fd); }
}

function readContent(p, size) {
  const fd = fs.openSync(p, OPEN_FLAGS);
  try {
    const n = fill(fd, 0, size);
    if (n !== size) { const e = new Error('short read'); e.code = 'ENODATA'; throw e; }
    return Buffer.from(buf.subarray(0, n));
  } finally { fs.closeSync(fd); }
}

function leafRange(p, h, start, end, total) {
  const [fd, size] = openRegular(p);
  try {
    if (size !== total) changed('expected ' + total + ' bytes, found ' + size);
    const ds = ALG[h][1];
    const out = Buffer.allocUnsafe(Math.ceil((end - start) / BS) * ds);
    let o = 0;
    const leaf = (d) => { out.set(d, o); o += ds; };
    for (let pos = start; pos < end; ) {
      const want = Math.min(CHUNK, end - pos);
      const n = fill(fd, pos, want);
      if (n !== want) changed('short read at offset ' + (pos + n));
      hashBlocks(h, n, leaf);
      pos += n;
    }
    return out;
  } finally { fs.closeSync(fd); }
}

parentPort.on('message', (m) => {
  const n = m.kinds.length;
  const outs = new Array(n);
  const errors = new Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const p = Buffer.from(m.paths[i], 'latin1');
    const a = m.nums[i * 3], b = m.nums[i * 3 + 1], c = m.nums[i * 3 + 2];
    try {
      let r;
      switch (m.kinds[i]) {
        case 0: r = digestFile(p, m.hashes[i], a); break;
        case 1: r = readContent(p, a); break;
        default: r = leafRange(p, m.hashes[i], a, b, c); break;
      }
      outs[i] = r; total += r.length;
    } catch (e) {
      outs[i] = null;
      errors[i] = { code: typeof e.code === 'string' ? e.code : undefined, message: String(e && e.message || e) };
    }
  }
  const data = new Uint8Array(total);
  const ends = new Array(n);
  let o = 0;
  for (let i = 0; i < n; i++) { const r = outs[i]; if (r) { data.set(r, o); o += r.length; } ends[i] = o; }
  parentPort.postMessage({ id: m.id, data: data.buffer, ends, errors }, [data.buffer]);
});
`;
