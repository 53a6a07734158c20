/**
 * Private temporary mount points (mode 0700) for kernels that cannot use detached mounts as
 * overlay layers. Their names carry a fixed prefix so that a re-run can find and remove what a
 * killed run left mounted (see cleanupStaleLayers in ./mountinfo).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const TEMP_PREFIX = '.cfsboot-layer-';

export function tempBase(): string {
  const t = process.env['TMPDIR'];
  return t !== undefined && t !== '' && path.isAbsolute(t) ? t : '/tmp';
}

/** Creates `$TMPDIR/.cfsboot-layer-XXXXXX` (0700) and returns its path. */
export function makeTempMountpoint(): string {
  return fs.mkdtempSync(path.join(tempBase(), TEMP_PREFIX));
}
