/**
 * Steps E1–E4 of the boot (boot.md §3.3), shared by setup-root and `cfsboot check`: for each
 * composefs karg in command-line order open the repository (algorithm from the karg, verity
 * required unless `?`), then the image; the first image that exists wins, "not found" moves on,
 * anything else is fatal. An insecure image without fs-verity is compared with the karg by a
 * userspace digest (stricter than composefs-rs, which mounts it unchecked).
 */
import * as path from 'node:path';
import type { ComposefsKarg } from '../cmdline/index.js';
import { Repository, RepositoryError } from '../repository/index.js';
import { close } from '../sys/index.js';
import { algorithmFor } from '../verity/algorithm.js';
import { verityDigestOfFd } from '../verity/file-digest.js';

export interface ChosenImage {
  karg: ComposefsKarg;
  repo: Repository;
  imageFd: number;
  imagePath: string;
  /** true: the image's fs-verity digest equals the karg → mount with verity=require. */
  verity: boolean;
}

export type KargReport =
  | { karg: ComposefsKarg; outcome: 'not-found'; detail: string }
  | { karg: ComposefsKarg; outcome: 'failed'; detail: string; step: 'repository' | 'image' }
  | { karg: ComposefsKarg; outcome: 'mounted' };

export class ChooseError extends Error {
  override readonly name = 'ChooseError';
  constructor(
    readonly step: 'repository' | 'image',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Tries the kargs in order. `report` hears about each karg's outcome. Throws ChooseError when a
 * karg fails or none has an image; the caller owns the returned repository and fd.
 */
export function chooseImage(kargs: readonly ComposefsKarg[], sysroot: string, report: (r: KargReport) => void): ChosenImage {
  const repoPath = path.join(sysroot, 'composefs');
  const imagesDir = path.join(repoPath, 'images');
  for (const karg of kargs) {
    let repo: Repository;
    try {
      repo = Repository.open(repoPath, {
        expectedAlgorithm: algorithmFor(karg.hash),
        ...(karg.insecure ? { insecure: true } : { requireVerity: true }),
      });
    } catch (e) {
      const detail = (e as Error).message;
      report({ karg, outcome: 'failed', detail, step: 'repository' });
      throw new ChooseError('repository', `opening the composefs repository: ${detail}`);
    }
    const imagePath = path.join(imagesDir, karg.hex);
    let fd: number | undefined;
    try {
      const img = repo.openImage(karg.hex);
      fd = img.fd;
      if (!img.verity) {
        const found = verityDigestOfFd(img.fd, karg.hash, imagePath).toString('hex');
        if (found !== karg.hex.toLowerCase()) {
          throw new RepositoryError('VerityMismatch', imagePath, `image digest (computed, the image has no fs-verity) does not match the karg: expected ${karg.hash}:${karg.hex}, found ${karg.hash}:${found}`);
        }
      }
      report({ karg, outcome: 'mounted' });
      return { karg, repo, imageFd: img.fd, imagePath, verity: img.verity };
    } catch (e) {
      if (fd !== undefined) close(fd);
      repo.close();
      if (e instanceof RepositoryError && e.kind === 'ImageNotFound') {
        report({ karg, outcome: 'not-found', detail: `${imagePath} does not exist` });
        continue;
      }
      const detail = (e as Error).message;
      report({ karg, outcome: 'failed', detail, step: 'image' });
      throw new ChooseError('image', `checking the image: ${detail}`);
    }
  }
  throw new ChooseError('image', `no composefs image found in ${imagesDir} (tried: ${kargs.map((k) => k.hex).join(', ')})`);
}
