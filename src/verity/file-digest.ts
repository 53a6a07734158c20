/**
 * fs-verity digests of files: a synchronous streaming path for small files, and a parallel
 * path for large ones that splits the data-block (leaf) level across worker threads — the
 * leaves are independent and are almost all of the work; the upper levels are 1/128 (SHA-256)
 * or 1/64 (SHA-512) of it and are built on the calling thread.
 */
import * as fs from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { BLOCK_SIZE } from './descriptor.js';
import { HASHES, type HashName } from './hashes.js';
import { FsVerityHasher, MerkleBuilder } from './merkle.js';

/** Read size for streaming: large reads keep syscalls and JS overhead per byte low. */
export const READ_CHUNK = 1 << 20;
/** Files at least this large are hashed by several threads when more than one is allowed. */
export const PARALLEL_THRESHOLD = 32 << 20;

/** Digest of everything readable from `fd` (from offset 0), on the calling thread. */
export function verityDigestOfFd(fd: number, hash: HashName, label = `fd ${fd}`): Buffer {
  const hasher = new FsVerityHasher(hash);
  const buf = Buffer.allocUnsafe(READ_CHUNK);
  let pos = 0;
  for (;;) {
    let n: number;
    try {
      n = fs.readSync(fd, buf, 0, READ_CHUNK, pos);
    } catch (e) {
      throw annotate(e, `reading ${label}`);
    }
    if (n === 0) break;
    hasher.update(buf.subarray(0, n));
    pos += n;
  }
  return hasher.digest();
}

/** Digest of a file by path, on the calling thread. */
export function verityDigestOfFileSync(path: string, hash: HashName): Buffer {
  const fd = openRegular(path);
  try {
    return verityDigestOfFd(fd, hash, path);
  } finally {
    fs.closeSync(fd);
  }
}

export interface DigestOptions {
  /** Worker threads for one large file; 1 disables threading. Default: available cores. */
  threads?: number;
}

/** Digest of a file by path; large files are hashed in parallel. */
export async function verityDigestOfFile(path: string, hash: HashName, opts: DigestOptions = {}): Promise<Buffer> {
  const threads = Math.max(1, opts.threads ?? availableParallelism());
  const fd = openRegular(path);
  try {
    const size = fs.fstatSync(fd).size;
    if (threads === 1 || size < PARALLEL_THRESHOLD) return verityDigestOfFd(fd, hash, path);
    return await parallelDigest(path, fd, size, hash, threads);
  } finally {
    fs.closeSync(fd);
  }
}

function openRegular(path: string): number {
  let fd: number;
  try {
    fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NOCTTY);
  } catch (e) {
    throw annotate(e, `opening ${path}`);
  }
  const st = fs.fstatSync(fd);
  if (!st.isFile()) {
    fs.closeSync(fd);
    throw new Error(`${path}: not a regular file`);
  }
  return fd;
}

function annotate(e: unknown, what: string): Error {
  const err = e instanceof Error ? e : new Error(String(e));
  const code = (err as NodeJS.ErrnoException).code;
  const out = new Error(`${what}: ${code ?? err.message}`);
  Object.assign(out, { code, cause: err });
  return out;
}

/**
 * Worker body, kept free of imports so it runs from an `eval` worker inside the single
 * executable. It hashes the data blocks of [start, end) of the file open as `fd` (shared fd
 * table: positional reads need no seek) and returns the packed leaf hashes.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const crypto = require('node:crypto');
const { fd, hash, start, end, digestSize, blockSize, chunk } = workerData;
const blocks = Math.ceil((end - start) / blockSize);
const out = new Uint8Array(blocks * digestSize);
const buf = Buffer.allocUnsafe(chunk);
let pos = start, o = 0;
while (pos < end) {
  const want = Math.min(chunk, end - pos);
  const n = fs.readSync(fd, buf, 0, want, pos);
  if (n !== want) throw new Error('short read at offset ' + pos + ': file changed while hashing');
  for (let off = 0; off < n; off += blockSize) {
    let block = buf.subarray(off, Math.min(off + blockSize, n));
    if (block.length < blockSize) { const p = Buffer.alloc(blockSize); block.copy(p); block = p; }
    out.set(crypto.hash(hash, block, 'buffer'), o);
    o += digestSize;
  }
  pos += n;
}
parentPort.postMessage(out, [out.buffer]);
`;

async function parallelDigest(path: string, fd: number, size: number, hash: HashName, threads: number): Promise<Buffer> {
  const digestSize = HASHES[hash].digestSize;
  const totalBlocks = Math.ceil(size / BLOCK_SIZE);
  const perWorker = Math.ceil(totalBlocks / threads);
  const jobs: Promise<Uint8Array>[] = [];
  for (let w = 0; w < threads; w++) {
    const start = w * perWorker * BLOCK_SIZE;
    const end = Math.min(size, (w + 1) * perWorker * BLOCK_SIZE);
    if (start >= end) break;
    jobs.push(runWorker({ fd, hash, start, end, digestSize, blockSize: BLOCK_SIZE, chunk: READ_CHUNK }, path));
  }
  const parts = await Promise.all(jobs);
  const tree = new MerkleBuilder(hash);
  for (const p of parts) tree.addLeafHashes(p);
  return tree.fileDigest(size);
}

function runWorker(data: Record<string, unknown>, path: string): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: data, env: {}, execArgv: [] });
    let result: Uint8Array | undefined;
    w.once('message', (m: Uint8Array) => { result = m; });
    w.once('error', (e) => reject(annotate(e, `hashing ${path}`)));
    w.once('exit', (code) => {
      if (result !== undefined) resolve(result);
      else reject(new Error(`hashing ${path}: worker exited with code ${code}`));
    });
  });
}
