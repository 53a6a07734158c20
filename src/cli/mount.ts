/**
 * `cfsboot mount IMAGE|NAME MOUNTPOINT` for recovery shells: mounts an image file, or an image of
 * a repository by digest or ref name (default repository /sysroot/composefs), with the
 * repository's objects as data layer and `verity=require` whenever the image carries fs-verity.
 * Shares src/mount with the boot path.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { CliError } from './errors.js';
import type { Io } from './io.js';

export interface RepoMountOptions {
  insecure?: boolean;
  upperdir?: string;
  workdir?: string;
  rw?: boolean;
}

/** Mounts image NAME of the repository at `repoPath` on `mountpoint`; returns a one-line summary. */
export async function mountFromRepository(repoPath: string, name: string, mountpoint: string, o: RepoMountOptions): Promise<string> {
  const { Repository } = await import('../repository/index.js');
  const { mountByPath } = await import('../mount/index.js');
  const { close } = await import('../sys/index.js');
  let repo;
  try {
    repo = Repository.open(repoPath, o.insecure === true ? { insecure: true } : {});
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  try {
    let img;
    try {
      img = repo.openImage(name);
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    try {
      const m = mountByPath({
        image: img.fd,
        imageLabel: path.join(repoPath, 'images', name),
        basedirs: [path.join(repoPath, 'objects')],
        verity: img.verity ? 'require' : 'off',
        ...(o.upperdir !== undefined ? { upperdir: o.upperdir } : {}),
        ...(o.workdir !== undefined ? { workdir: o.workdir } : {}),
        readOnly: o.rw !== true,
        source: `composefs:${name}`,
        mountpoint,
      });
      return `mounted ${path.join(repoPath, 'images', name)} on ${mountpoint} (${img.verity ? 'verity=require' : 'no verity'}, EROFS ${m.erofs.via}, layers ${m.overlay.strategy})`;
    } catch (e) {
      throw new CliError((e as Error).message);
    } finally {
      close(img.fd);
    }
  } finally {
    repo.close();
  }
}

export function mountCommand(io: Io): Command {
  return new Command('mount')
    .description('mount a composefs image by hand: an image file, or NAME (digest or ref) of a repository')
    .argument('<image>', 'image file, or image digest / ref name in the repository')
    .argument('<mountpoint>')
    .option('--repo <path>', 'repository for NAME (default /sysroot/composefs)', '/sysroot/composefs')
    .option('--basedir <dirs>', 'object directories for an image file, ":"-separated (default: the repository objects/ next to images/)')
    .option('--digest <hex>', 'for an image file: require this fs-verity digest (implies verity=require)')
    .option('--verity', 'for an image file: require fs-verity on every file (overlay verity=require)')
    .option('--insecure', 'NAME: accept a repository/image without fs-verity')
    .option('--upperdir <dir>', 'writable upper layer (with --workdir)')
    .option('--workdir <dir>', 'overlay work directory (with --upperdir)')
    .option('--rw', 'mount read-write (only meaningful with --upperdir)')
    .action(async (image: string, mountpoint: string, o: { repo: string; basedir?: string; digest?: string; verity?: boolean; insecure?: boolean; upperdir?: string; workdir?: string; rw?: boolean }) => {
      if ((o.upperdir === undefined) !== (o.workdir === undefined)) throw new CliError('--upperdir and --workdir go together');
      let isFile = false;
      try {
        isFile = fs.statSync(image).isFile();
      } catch {
        isFile = false;
      }
      if (!isFile) {
        if (image.includes('/')) throw new CliError(`${image}: no such image file`);
        io.err(`cfsboot mount: ${await mountFromRepository(o.repo, image, mountpoint, o)}`);
        return;
      }
      const { expectedDigestFromHex, mountByPath, ImageVerityError } = await import('../mount/index.js');
      let basedirs = o.basedir?.split(':').filter((b) => b !== '');
      if (basedirs === undefined) {
        const dir = path.dirname(path.resolve(image));
        const objects = path.join(path.dirname(dir), 'objects');
        if (path.basename(dir) !== 'images' || !fs.existsSync(objects)) throw new CliError(`${image}: not inside a repository's images/; give --basedir`);
        basedirs = [objects];
      }
      let expectedDigest;
      if (o.digest !== undefined) {
        expectedDigest = expectedDigestFromHex(o.digest);
        if (expectedDigest === undefined) throw new CliError(`--digest: expected 64 (sha256) or 128 (sha512) hex digits, got '${o.digest}'`);
      }
      try {
        const m = mountByPath({
          image, imageLabel: image, basedirs,
          ...(expectedDigest !== undefined ? { expectedDigest } : {}),
          verity: o.verity === true ? 'require' : 'off',
          ...(o.upperdir !== undefined ? { upperdir: o.upperdir, workdir: o.workdir! } : {}),
          readOnly: o.rw !== true,
          source: 'composefs',
          mountpoint,
        });
        io.err(`cfsboot mount: mounted ${image} on ${mountpoint} (EROFS ${m.erofs.via}, layers ${m.overlay.strategy})`);
      } catch (e) {
        if (e instanceof ImageVerityError) throw new CliError(`${image}: ${e.message}`);
        throw new CliError((e as Error).message);
      }
    });
}
