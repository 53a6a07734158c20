/**
 * `cfsboot status`: the boot explained in plain words, from status.json (what setup-root did) and
 * the mount table now (what is mounted). Pure: the caller reads both.
 */
import { composefsSourceDigest, topMountAt, type MountEntry } from '../mount/mountinfo.js';
import type { StatusDocument } from './status.js';

const STEP_WORDS: Record<string, string> = {
  config: 'reading the configuration file',
  cmdline: 'reading the composefs karg from the kernel command line',
  sysroot: 'opening the physical root',
  repository: 'opening the composefs repository',
  image: 'finding and verifying the image named by the karg',
  state: 'opening the deployment state directory',
  mount: 'mounting',
  internal: 'an internal error',
};

const LAYER_WORDS: Record<string, string> = {
  fd: 'layers passed as file descriptors',
  'proc-fd': 'layers passed as /proc/self/fd paths (kernel < 6.15)',
  'lowerdir-string': "a single lowerdir=A::B string (kernel < 6.7)",
  legacy: 'legacy mount(2) options (overlayfs < 6.5)',
};

function short(hex: string): string {
  return hex.length > 20 ? `${hex.slice(0, 12)}…${hex.slice(-6)}` : hex;
}

/** The root mount now: `/` on a booted system, the status target inside the initramfs. */
function currentRoot(doc: StatusDocument | undefined, mounts: readonly MountEntry[]): { where: string; entry: MountEntry | undefined } {
  const root = topMountAt(mounts, '/');
  if (root !== undefined && composefsSourceDigest(root.source) !== undefined) return { where: '/', entry: root };
  if (doc !== undefined) {
    const t = topMountAt(mounts, doc.target);
    if (t !== undefined) return { where: doc.target, entry: t };
  }
  return { where: '/', entry: root };
}

export interface Explanation {
  lines: string[];
  /** ok: the composefs root is in place as recorded. */
  ok: boolean;
}

export function explainStatus(doc: StatusDocument | undefined, mounts: readonly MountEntry[], statusFile: string): Explanation {
  const lines: string[] = [];
  const now = currentRoot(doc, mounts);
  const nowDigest = now.entry !== undefined ? composefsSourceDigest(now.entry.source) : undefined;
  const describeNow = (): string => {
    if (now.entry === undefined) return `nothing is mounted on ${now.where}`;
    const ro = now.entry.options.includes('ro') ? 'read-only' : 'read-write';
    const verity = now.entry.superOptions.find((o) => o.startsWith('verity='));
    return `${now.where} is ${now.entry.fstype} "${now.entry.source}" (${ro}${verity !== undefined ? `, ${verity}` : ''})`;
  };
  if (doc === undefined) {
    lines.push(`No composefs boot is recorded (${statusFile} does not exist): setup-root did not run in this boot, or ran from another tool.`);
    lines.push(`Now: ${describeNow()}.`);
    return { lines, ok: false };
  }
  const karg = doc.kargs.find((k) => k.outcome === 'mounted') ?? doc.kargs[0];
  if (doc.result === 'ok' || doc.result === 'already-mounted') {
    const img = doc.image;
    lines.push(`composefs boot: OK. The root filesystem is composefs image ${img !== undefined ? img.hex : karg?.hex ?? '?'}.`);
    if (karg !== undefined) lines.push(`  karg:      ${karg.arg}${karg.insecure ? '  (insecure "?": fs-verity optional)' : ''}`);
    if (img !== undefined) {
      lines.push(img.verity === 'require'
        ? '  verity:    required: the image\'s fs-verity digest matched the karg, and every file is checked against its digest when read'
        : '  verity:    NOT enforced: the karg is insecure ("?") and the image has no fs-verity (its content was compared with the karg in userspace at boot)');
      lines.push(`  image:     ${img.path}${img.formatVersion !== undefined ? ` (EROFS format ${img.formatVersion === 2 ? 'V2' : 'V1'})` : ''}`);
    } else if (doc.rootFs !== undefined) {
      lines.push(`  root:      --root-fs ${doc.rootFs} (testing; no image, no verity)`);
    }
    if (doc.repository !== undefined) lines.push(`  repository: ${doc.repository.path} (${doc.repository.algorithm}, meta.json ${doc.repository.metaVerity ? 'with' : 'without'} fs-verity)`);
    const k = doc.kernel;
    if (k !== undefined) {
      const erofs = k.erofs === 'loop' ? `EROFS on a loop device${k.loopDevice !== undefined ? ` (${k.loopDevice})` : ''} (the kernel refused to mount the image file directly)` : k.erofs === 'file' ? 'EROFS mounted straight from the image file' : undefined;
      const parts = [erofs, k.layers !== undefined ? `overlay with ${LAYER_WORDS[k.layers] ?? k.layers}` : undefined, k.assembly === 'floating' ? 'tree assembled detached, then swapped in (≥ 6.15)' : k.assembly === 'mount-first' ? 'composefs stacked on the physical root first (pre-6.15 way)' : undefined];
      lines.push(`  kernel:    Linux ${k.release}: ${parts.filter((p) => p !== undefined).join('; ')}`);
      if (k.fallbacks.length > 0) lines.push(`  fallbacks: ${k.fallbacks.length} newer kernel interface(s) refused: ${k.fallbacks.join(' | ')}`);
    }
    for (const m of doc.mounts) lines.push(`  mount:     ${m.path.padEnd(9)} ${m.what}`);
    if (doc.totalMs !== undefined) lines.push(`  time:      ${doc.totalMs.toFixed(1)} ms (${doc.steps.map((s) => `${s.step} ${s.ms.toFixed(1)}`).join(', ')})`);
    const expected = img?.hex ?? karg?.hex;
    const inPlace = nowDigest !== undefined && nowDigest === expected;
    lines.push(`Now: ${describeNow()}${inPlace ? ' — the composefs root recorded above.' : nowDigest !== undefined ? ` — a DIFFERENT composefs image than recorded (${short(expected ?? '?')}).` : ' — the composefs root is NOT mounted there.'}`);
    return { lines, ok: inPlace };
  }
  lines.push(`composefs boot: FAILED while ${STEP_WORDS[doc.failedStep ?? ''] ?? doc.failedStep ?? 'starting'}.`);
  lines.push(`  reason:    ${doc.error ?? 'unknown'}`);
  if (doc.cmdline !== undefined) lines.push(`  cmdline:   ${doc.cmdline}`);
  for (const k of doc.kargs) lines.push(`  karg:      ${k.arg} → ${k.outcome}${k.detail !== undefined ? ` (${k.detail})` : ''}`);
  lines.push('  Nothing was mounted by setup-root (it fails closed and unwinds what it started).');
  for (const c of doc.cleanup ?? []) lines.push(`  cleanup:   ${c}`);
  lines.push(`Now: ${describeNow()}.`);
  lines.push('To retry after fixing the cause: run `composefs-setup-root` again (it is safe to re-run), then leave the emergency shell.');
  return { lines, ok: false };
}
