/**
 * `mkcomposefs --digest-store=DIR`: copies each external regular file of a scanned tree into an
 * object store at `DIR/xx/yyyy…` (its payload), as C mkcomposefs does: a reflink when the
 * filesystem can, else a copy; mode 0644; fs-verity enabled when the filesystem supports it
 * (best effort, as C). Objects already present are left alone. Each object is written to a
 * temporary name in its directory, fsynced and renamed, so a crash never leaves a partial object
 * under its final name. The image bytes do not depend on any of this.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isRegular, sortedEntries, type Node } from './node.js';

export interface DigestStoreResult {
  copied: number;
  present: number;
}

/** Calls `fn(sourcePath, node)` for every external regular file of the tree. */
function forEachExternal(root: Node, sourceRoot: string, fn: (src: string, node: Node) => void): void {
  const walk = (dir: Node, dirPath: string): void => {
    for (const [name, child] of sortedEntries(dir)) {
      const p = path.join(dirPath, Buffer.from(name, 'latin1').toString());
      if (child.children !== undefined) walk(child, p);
      else if (isRegular(child) && child.content === undefined && child.size > 0n && child.payload !== undefined) fn(p, child);
    }
  };
  walk(root, sourceRoot);
}

export async function fillDigestStore(
  root: Node,
  sourceRoot: string,
  storeDir: string,
  enableVerity?: (file: string) => Promise<void>,
): Promise<DigestStoreResult> {
  const result: DigestStoreResult = { copied: 0, present: 0 };
  const jobs: Array<{ src: string; dest: string }> = [];
  const seen = new Set<string>();
  forEachExternal(root, sourceRoot, (src, node) => {
    const rel = node.payload!;
    if (seen.has(rel)) return;
    seen.add(rel);
    jobs.push({ src, dest: path.join(storeDir, Buffer.from(rel, 'latin1').toString()) });
  });
  fs.mkdirSync(storeDir, { recursive: true });
  for (const { src, dest } of jobs) {
    if (fs.existsSync(dest)) {
      result.present++;
      continue;
    }
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    const tmp = path.join(path.dirname(dest), `.tmp-${process.pid}-${path.basename(dest)}`);
    try {
      fs.copyFileSync(src, tmp, fs.constants.COPYFILE_FICLONE);
      fs.chmodSync(tmp, 0o644);
      const fd = fs.openSync(tmp, 'r');
      try {
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      if (enableVerity !== undefined) await enableVerity(tmp);
      fs.renameSync(tmp, dest);
      result.copied++;
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      throw new Error(`digest store: copying ${src} to ${dest}: ${code}`);
    }
  }
  return result;
}
