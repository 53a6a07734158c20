/**
 * Shared assertions of the setup-root tests: the final mount table of boot.md §3.7 (≥ 6.15
 * column for the floating assembly, pre-6.15 column for mount-first), the tree seen through the
 * mounts, and the status document.
 */
import * as path from 'node:path';
import { expect } from 'vitest';
import { comparable, lines, mountsAt, type Case, type Image, type MountEntry, type StepResult } from './helpers.js';

export interface ExpectedPath {
  erofs: 'file' | 'loop';
  layers: 'fd' | 'proc-fd' | 'lowerdir-string' | 'legacy';
  assembly: 'floating' | 'mount-first';
}

/** Where the composefs root ends up (sysroot, or --target). */
export interface Layout {
  target: string;
  /** Physical root fstype ('tmpfs' or 'ext4'). */
  physType: string;
  /** The physical root's mount before the run (its `dev` identifies the filesystem). */
  phys: MountEntry;
}

/** The composefs overlay's layer options, per strategy. */
export function expectLayerOptions(ovl: MountEntry, layers: ExpectedPath['layers']): void {
  const opts = ovl.superOptions;
  if (layers === 'fd' || layers === 'proc-fd') {
    expect(opts.filter((o) => o.startsWith('lowerdir+='))).toHaveLength(1);
    expect(opts.filter((o) => o.startsWith('datadir+='))).toHaveLength(1);
    expect(opts.some((o) => o.startsWith('lowerdir='))).toBe(false);
    if (layers === 'proc-fd') expect(opts.find((o) => o.startsWith('lowerdir+='))).toMatch(/^lowerdir\+=\/proc\/self\/fd\/\d+$/);
  } else {
    const lower = opts.filter((o) => o.startsWith('lowerdir='));
    expect(lower).toHaveLength(1);
    // the object directory as a data-only layer after '::'
    expect(lower[0]).toMatch(/^lowerdir=\/proc\/self\/fd\/\d+::\/proc\/self\/fd\/\d+$/);
    expect(opts.some((o) => o.startsWith('datadir+='))).toBe(false);
  }
}

/**
 * The mount table below the case directory after a successful run (defaults, no transient):
 * boot.md §3.7. Returns the composefs overlay entry.
 */
export function expectMountTable(after: MountEntry[], c: Case, img: Image, l: Layout, p: ExpectedPath, opts: { etc?: string; var?: string } = {}): MountEntry {
  const at = mountsAt(after, l.target);
  const floating = p.assembly === 'floating';
  const replacing = l.target === c.sysroot;
  let ovl: MountEntry;
  if (floating || !replacing) {
    // ≥ 6.15: only the composefs overlay on the target; the physical root mount is detached
    expect(at.map((m) => m.fstype)).toEqual(['overlay']);
    ovl = at[0]!;
  } else {
    // pre-6.15: the physical root stays mounted underneath, the overlay stacked on it
    expect(at.map((m) => m.fstype)).toEqual([l.physType, 'overlay']);
    expect(at[0]!.id).toBe(l.phys.id);
    expect(at[1]!.parent).toBe(at[0]!.id);
    ovl = at[1]!;
  }
  expect(ovl.source).toBe(`composefs:${img.hex}`);
  expect(ovl.mountOptions).toContain('ro');
  expect(ovl.superOptions).toContain('ro');
  expect(ovl.superOptions).toContain('metacopy=on');
  expect(ovl.superOptions).toContain('redirect_dir=on');
  // insecure karg, image without fs-verity (this host has none)
  expect(ovl.superOptions.some((o) => o.startsWith('verity='))).toBe(false);
  expectLayerOptions(ovl, p.layers);

  const expected: string[] = [l.target, path.join(l.target, 'sysroot')];
  const sys = mountsAt(after, path.join(l.target, 'sysroot'));
  expect(sys).toHaveLength(1);
  expect(sys[0]!.parent).toBe(ovl.id);
  expect(sys[0]!.fstype).toBe(l.physType);
  expect(sys[0]!.dev).toBe(l.phys.dev);
  expect(sys[0]!.root).toBe('/');
  expect(sys[0]!.mountOptions).toContain('ro');

  // /etc (default overlay) and /var (default bind), each as the configuration says
  for (const [d, type] of [['etc', opts.etc ?? 'overlay'], ['var', opts.var ?? 'bind']] as const) {
    const m = mountsAt(after, path.join(l.target, d));
    if (type === 'none') {
      expect(m).toEqual([]);
      continue;
    }
    expected.push(path.join(l.target, d));
    expect(m).toHaveLength(1);
    expect(m[0]!.parent).toBe(ovl.id);
    expect(m[0]!.mountOptions).toContain('rw');
    if (type === 'bind') {
      expect(m[0]!.dev).toBe(l.phys.dev);
      expect(m[0]!.root).toBe(`/state/deploy/${img.hex}/${d}`);
    } else {
      expect(m[0]!.fstype).toBe('overlay');
      expect(m[0]!.source).toBe(type === 'overlay' ? 'overlay' : 'transient');
      if (p.layers === 'fd' && type === 'overlay') {
        expect(m[0]!.superOptions).toContain(`upperdir=${c.state(img.hex, `${d}/upper`)}`);
        expect(m[0]!.superOptions).toContain(`workdir=${c.state(img.hex, `${d}/work`)}`);
      }
    }
  }
  // nothing else: no temp layer mounts, no second composefs
  const points = after.filter((m) => m.mountPoint.startsWith(l.target)).map((m) => m.mountPoint);
  expect([...new Set(points)].sort()).toEqual(expected.sort());
  return ovl;
}

/** The tree through the mounts equals the image's source tree (except /sysroot and /var, which are mounts). */
export function expectSameTree(mounted: StepResult, src: StepResult, hideVar = true): void {
  const drop = (p: string): boolean => p === '.' || p === 'sysroot' || (hideVar && (p === 'var' || p.startsWith('var/')));
  expect(mounted.ok).toBe(true);
  expect(comparable(mounted.entries!, drop)).toEqual(comparable(src.entries!, drop));
  // the hard link is one inode through the mount as well
  const e = mounted.entries!;
  expect(e['usr/bin/tool']!.ino).toBe(e['usr/bin/tool-hardlink']!.ino);
  expect(e['usr/bin/tool']!.nlink).toBe(2);
}

/** The status document of a successful run. */
export function expectOkStatus(doc: Record<string, any>, img: Image, p: ExpectedPath, simulated: boolean): void {
  expect(doc['result']).toBe('ok');
  expect(doc['error']).toBeUndefined();
  expect(doc['image']).toMatchObject({ hex: img.hex, verity: 'off' });
  expect(doc['kargs']).toEqual([expect.objectContaining({ hex: img.hex, insecure: true, outcome: 'mounted' })]);
  expect(doc['kernel']).toMatchObject({ erofs: p.erofs, layers: p.layers, assembly: p.assembly });
  if (p.erofs === 'loop') expect(doc['kernel']['loopDevice']).toMatch(/^\/dev\/loop\d+$/);
  if (simulated) expect(doc['kernel']['fallbacks'].join('\n')).toContain('simulated: CFSBOOT_SIMULATE_MISSING=');
  expect((doc['steps'] as Array<{ step: string }>).map((s) => s.step)).toEqual([
    'config', 'cmdline', 'sysroot', 'image', 'state', 'mount-image', 'sysroot-clone', 'state-mounts', 'attach',
  ]);
  for (const s of doc['steps'] as Array<{ ms: number }>) expect(s.ms).toBeGreaterThanOrEqual(0);
  expect(doc['totalMs']).toBeGreaterThan(0);
  expect(typeof doc['rootMountId']).toBe('number');
}

/** One stderr line, prefix `cfsboot:`. */
export function oneLine(r: StepResult): string {
  const l = lines(r.stderr);
  expect(l, r.stderr).toHaveLength(1);
  expect(l[0]).toMatch(/^cfsboot: /);
  return l[0]!;
}

/**
 * A refused boot: exit 1, exactly one stderr line `cfsboot: boot failed, nothing mounted: …`
 * matching `message`, status.json `result: failed` with `failedStep`, the whole
 * /proc/self/mountinfo of the namespace as before, and no temp layer directory left.
 */
export function expectFailClosed(
  r: Record<string, StepResult>,
  doc: Record<string, any>,
  o: { step: string; message: RegExp; run?: string; before?: string; after?: string; tmpLeft?: string },
): string {
  const run = r[o.run ?? 'run']!;
  expect(run.status, run.stderr).toBe(1);
  const line = oneLine(run);
  expect(line).toMatch(/^cfsboot: boot failed, nothing mounted: /);
  expect(line).toMatch(o.message);
  expect(doc['result']).toBe('failed');
  expect(doc['failedStep']).toBe(o.step);
  expect(`cfsboot: boot failed, nothing mounted: ${doc['error']}`).toBe(line);
  expect(doc['mounts']).toEqual([]);
  expect(doc['cleanup']).toBeUndefined();
  expect(r[o.after ?? 'after']!.raw).toBe(r[o.before ?? 'before']!.raw);
  if (r[o.tmpLeft ?? 'tmp-left'] !== undefined) expect(r[o.tmpLeft ?? 'tmp-left']).toEqual({ ok: true, names: [] });
  return line;
}
