import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { writeImageV1 } from '../../../src/erofs/index';
import { S_IFDIR, S_IFREG, newNode, type Node } from '../../../src/tree/node';
import { verityDigestOfBuffer } from '../../../src/verity/merkle';
import type { HashName } from '../../../src/verity/hashes';
import { objectPathname } from '../../../src/repository/paths';
import { findAddonFile } from '../../../src/sys/addon';
import { mkdirs } from '../../helpers/tree';
export { content } from './data';

export function tempDir(prefix = 'cfsrepo-', base = os.tmpdir()): string {
  return fs.mkdtempSync(path.join(base, prefix));
}

export function digestHex(hash: HashName, data: Uint8Array): string {
  return verityDigestOfBuffer(hash, data).toString('hex');
}

/**
 * A small tree whose regular files reference objects (by content): `files` maps a path
 * (`a/b/c`) to file content; contents ≤ 64 bytes are inline.
 */
export function treeReferencing(hash: HashName, files: Record<string, Buffer>): Node {
  const root = newNode(S_IFDIR | 0o755);
  for (const [p, data] of Object.entries(files)) {
    const parts = p.split('/');
    const dir = mkdirs(root, parts.slice(0, -1));
    const name = parts[parts.length - 1]!;
    if (data.length <= 64) {
      dir.children!.set(name, newNode(S_IFREG | 0o644, { size: BigInt(data.length), content: data.length > 0 ? data : undefined }));
    } else {
      const digest = verityDigestOfBuffer(hash, data);
      dir.children!.set(name, newNode(S_IFREG | 0o644, {
        size: BigInt(data.length), payload: objectPathname(digest.toString('hex')), digest,
      }));
    }
  }
  return root;
}

export function imageOf(hash: HashName, files: Record<string, Buffer>): Buffer {
  return writeImageV1(treeReferencing(hash, files));
}

let bundled: string | undefined;

/** Bundles test/unit/repository/child.ts into a CommonJS script for child processes. */
export function childScript(): string {
  if (bundled !== undefined) return bundled;
  const out = path.join(tempDir('cfsrepo-child-'), 'child.cjs');
  buildSync({
    entryPoints: [path.join(__dirname, 'child.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: out,
    logLevel: 'silent', target: 'node20',
  });
  bundled = out;
  return out;
}

export const childEnv = (): NodeJS.ProcessEnv => ({ ...process.env, CFSBOOT_ADDON: findAddonFile() });
