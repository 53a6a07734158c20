/**
 * Kernel differences, decided at run time (boot.md §3.9–3.10). Each mount step tries the newest
 * kernel interface first and falls back on the errno an older kernel gives; what worked is
 * remembered here for the rest of the process (and reported in status.json).
 *
 * For tests on a new kernel, `CFSBOOT_SIMULATE_MISSING` (comma-separated feature names below)
 * makes the corresponding call fail with exactly the errno an older kernel returns, so every
 * fallback path runs on this machine too. It can only take features away, never weaken a check.
 */

/** Kernel features that have a fallback, with the first kernel that has them. */
export const KERNEL_FEATURES = {
  /** file-backed EROFS (6.12, CONFIG_EROFS_FS_BACKED_BY_FILE): else ENOTBLK → loop device */
  'erofs-file-backed': 'ENOTBLK',
  /** overlay layers as fds incl. detached mounts (6.15): else EINVAL → /proc/self/fd strings */
  'overlay-fd-layers': 'EINVAL',
  /** overlay `lowerdir+`/`datadir+` keys (6.7/6.8): else EINVAL → one `lowerdir=A::B` string */
  'overlay-lowerdir-plus': 'EINVAL',
  /** overlay on the new mount API's parser (6.5): else the probe succeeds → mount(2) */
  'overlay-new-api': 'probe',
} as const;

export type KernelFeature = keyof typeof KERNEL_FEATURES;

export const ERRNO: Record<string, number> = { ENOTBLK: 15, EINVAL: 22, ENOSYS: 38, EBADF: 9 };

let simulated: Set<KernelFeature> | undefined;

/** Features the environment asks to pretend are missing (read once). */
export function simulatedMissing(): ReadonlySet<KernelFeature> {
  if (simulated === undefined) {
    simulated = new Set();
    const raw = process.env['CFSBOOT_SIMULATE_MISSING'] ?? '';
    for (const name of raw.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
      if (!(name in KERNEL_FEATURES)) {
        throw new Error(`CFSBOOT_SIMULATE_MISSING: unknown kernel feature '${name}' (known: ${Object.keys(KERNEL_FEATURES).join(', ')})`);
      }
      simulated.add(name as KernelFeature);
    }
  }
  return simulated;
}

/** Resets the simulation (tests). */
export function setSimulatedMissing(features: readonly KernelFeature[] | undefined): void {
  simulated = features === undefined ? undefined : new Set(features);
}

/** A SysError-shaped error, as the kernel call would have thrown it. */
export function simulatedError(feature: KernelFeature, syscall: string, detail: string): Error {
  const code = KERNEL_FEATURES[feature] === 'probe' ? 'EINVAL' : KERNEL_FEATURES[feature];
  const texts: Record<string, string> = { ENOTBLK: 'Block device required', EINVAL: 'Invalid argument' };
  const e = new Error(`${syscall}(${detail}): ${texts[code] ?? code} (simulated: CFSBOOT_SIMULATE_MISSING=${feature})`);
  return Object.assign(e, { code, errno: ERRNO[code] ?? 0, syscall });
}

/** How the composefs overlay's layers were passed (newest first). */
export type LayerStrategy = 'fd' | 'proc-fd' | 'lowerdir-string' | 'legacy';
export const LAYER_STRATEGIES: readonly LayerStrategy[] = ['fd', 'proc-fd', 'lowerdir-string', 'legacy'];

/** What this process learned about the kernel. */
export interface KernelPath {
  /** How the EROFS image was mounted. */
  erofs?: 'file' | 'loop';
  /** The first layer strategy that worked. */
  layers?: LayerStrategy;
  /** Strategies that failed, with the error that made us fall back. */
  fallbacks: string[];
}

const learned: KernelPath = { fallbacks: [] };

export function kernelPath(): KernelPath {
  return learned;
}

export function resetKernelPath(): void {
  delete learned.erofs;
  delete learned.layers;
  learned.fallbacks = [];
}
