/**
 * Every refusal of setup-root that needs no fs-verity (the verity ones run in QEMU): exit 1,
 * exactly one stderr line `cfsboot: boot failed, nothing mounted: …` naming what was checked,
 * status.json `result: failed` with the failed step, and /proc/self/mountinfo of the namespace
 * byte for byte as before — also when the failure comes after the composefs root was mounted
 * (mount-first attaches it early), which proves the unwinding.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXE } from '../../helpers/exe.js';
import { expectFailClosed } from './assertions.js';
import {
  buildFixture, Case, lines, loopDevicesUnder, mountsAt, q, removeFixture, SKIP_REASON, type Fixture, type SysrootKind,
} from './helpers.js';

if (SKIP_REASON !== '') it.skip(`setup-root fail-closed cases [skipped: ${SKIP_REASON}]`, () => {});

const MOUNT_FIRST = { CFSBOOT_SIMULATE_MISSING: 'overlay-fd-layers' };
const LEGACY = { CFSBOOT_SIMULATE_MISSING: 'overlay-new-api' };

describe.skipIf(SKIP_REASON !== '')('setup-root: fail closed', () => {
  let f: Fixture;
  beforeAll(() => {
    f = buildFixture('fail');
  });
  afterAll(() => {
    if (f !== undefined) expect(loopDevicesUnder(f.work)).toEqual([]);
    removeFixture(f);
  });

  interface Refusal {
    kind?: SysrootKind;
    /** Shell run in the namespace after the sysroot is filled, before the run; $S = sysroot, $H = main hex. */
    prepare?: string;
    config?: string;
    cmdline?: () => string;
    env?: Record<string, string>;
    step: string;
    message: () => RegExp;
  }

  function refuse(label: string, o: Refusal): { c: Case; line: string; doc: Record<string, any> } {
    const c = new Case(f, o.kind ?? 'tmpfs', label);
    if (o.config !== undefined) fs.writeFileSync(c.config, o.config);
    if (o.prepare !== undefined) c.sh('prepare', `S=${q(c.sysroot)}; H=${f.main.hex}; N=${f.noEtc.hex}; set -e; ${o.prepare}`);
    c.mountinfo('before')
      .setupRoot('run', (o.cmdline ?? (() => f.main.karg))(), { env: o.env ?? {} })
      .mountinfo('after')
      .list('tmp-left', c.tmp)
      .sh('undo', o.kind === 'ext4' ? `chattr -R -i ${q(c.sysroot)}/state 2>/dev/null; true` : 'true');
    const r = c.run();
    const doc = c.statusDoc();
    const line = expectFailClosed(r, doc, { step: o.step, message: o.message() });
    return { c, line, doc };
  }

  const H128 = (ch: string): string => ch.repeat(128);

  describe('kernel command line', () => {
    const CASES: Array<[string, string, RegExp]> = [
      ['empty', '', /kernel command line: no composefs karg found in kernel cmdline$/],
      ['no composefs karg', 'root=UUID=abc quiet splash rw', /no composefs karg found in kernel cmdline$/],
      ['bare word composefs', 'composefs ro', /no composefs karg found in kernel cmdline$/],
      ['composefs=foo', 'composefs=foo', /invalid composefs= digest length: 3$/],
      ['composefs=?', 'composefs=?', /invalid composefs= digest length: 0$/],
      ['bad hex digit', `composefs=${'a'.repeat(63)}x`, /parsing composefs= sha256 digest: Invalid character 'x' at position 63$/],
      ['quoted value', `composefs="${'a'.repeat(64)}"`, /invalid composefs= digest length: 66$/],
      ['v3 format', `composefs.digest=v3-sha512-12:${H128('a')}`, /unsupported format version 'v3'$/],
      ['md5', `composefs.digest=v1-md5-12:${H128('a')}`, /unsupported hash algorithm 'md5' \(expected sha256 or sha512\)$/],
      ['block size 8', `composefs.digest=v1-sha512-8:${H128('a')}`, /unsupported lg_blocksize 8 \(only 12 is currently supported\)$/],
      ['not hex', 'composefs.digest=v1-sha512-12:notahex', /parsing composefs.digest= sha512 digest: Odd number of digits$/],
      ['length for another hash', `composefs.digest=v1-sha256-12:${H128('a')}`, /parsing composefs.digest= sha256 digest: Invalid string length$/],
      ['no version-hash part', `composefs.digest=${H128('a')}`, /expected '<version>-<hash>-<blocksize>:<hex>', got: /],
    ];
    for (const [label, cmdline, message] of CASES) {
      it(`refuses: ${label}`, () => {
        refuse(`cmdline-${label}`, { cmdline: () => cmdline, step: 'cmdline', message: () => message });
      });
    }
    it('refuses a malformed karg even after a valid one (no skipping of bad entries)', () => {
      refuse('cmdline-valid-then-bad', { cmdline: () => `${f.main.karg} composefs=foo`, step: 'cmdline', message: () => /invalid composefs= digest length: 3$/ });
    });
  });

  describe('image selection', () => {
    it('refuses when no karg names an existing image, listing the digests tried', () => {
      const a = H128('a');
      const b = H128('b');
      const { doc } = refuse('image-missing', {
        cmdline: () => `composefs.digest=?v1-sha512-12:${a} composefs.digest=?v1-sha512-12:${b}`,
        step: 'image',
        message: () => new RegExp(`no composefs image found in \\S+/composefs/images \\(tried: ${a}, ${b}\\)$`),
      });
      expect(doc['kargs'].map((k: { outcome: string }) => k.outcome)).toEqual(['not-found', 'not-found']);
    });

    it('an uppercase karg parses but names no image (the raw karg is the file name, as upstream)', () => {
      refuse('image-uppercase', {
        cmdline: () => f.main.karg.toUpperCase().replace('COMPOSEFS.DIGEST=?V1-SHA512-12:', 'composefs.digest=?v1-sha512-12:'),
        step: 'image',
        message: () => new RegExp(`no composefs image found .*\\(tried: ${f.main.hex.toUpperCase()}\\)$`),
      });
    });

    it('the first existing image wins: a missing karg is skipped (said once the next one is mounted)', () => {
      const c = new Case(f, 'tmpfs', 'first-existing');
      const missing = H128('c');
      c.setupRoot('run', `composefs.digest=?v1-sha512-12:${missing} ${f.main.karg} ${f.noEtc.karg}`).mountinfo('after');
      const r = c.run();
      expect(r['run']!.status, r['run']!.stderr).toBe(0);
      const l = lines(r['run']!.stderr);
      expect(l).toHaveLength(2);
      expect(l[0]).toBe(`cfsboot: image ${missing} not found (${c.p('composefs/images', missing)} does not exist), trying next karg`);
      expect(l[1]).toContain(`mounted composefs:${f.main.hex}`);
      expect(mountsAt(r['after']!.mounts!, c.sysroot).map((m) => m.source)).toEqual([`composefs:${f.main.hex}`]);
      expect(c.statusDoc()['kargs'].map((k: { outcome: string }) => k.outcome)).toEqual(['not-found', 'mounted', 'not-tried']);
    });

    it('a karg of another hash than the repository is fatal, not skipped (boot.md §1.7 a.5)', () => {
      refuse('other-hash-first', {
        cmdline: () => `composefs=?${'d'.repeat(64)} ${f.main.karg}`,
        step: 'repository',
        message: () => /opening the composefs repository: \S+\/meta\.json: repository algorithm fsverity-sha512-12 does not match expected fsverity-sha256-12$/,
      });
    });

    it('refuses an image whose digest is not the karg, even under ? (computed in userspace)', () => {
      const { line } = refuse('digest-mismatch', {
        // images/<main> now points at the other image's object
        prepare: `ln -sfn "$(readlink "$S/composefs/images/$N")" "$S/composefs/images/$H"`,
        step: 'image',
        message: () => new RegExp(`checking the image: .*images/${f.main.hex}.*expected sha512:${f.main.hex}, found sha512:${f.noEtc.hex}$`),
      });
      expect(line).toContain('does not match the karg');
    });

    it('refuses a file that is not a composefs image (bad magic), after its digest matched', () => {
      // 8 KiB of 0x42 and its digest, computed by our own tool on the host
      const junk = path.join(f.work, 'junk');
      fs.writeFileSync(junk, Buffer.alloc(8192, 0x42));
      const hex = execFileSync(EXE, ['verity', 'digest', '--hash-alg', 'sha512', '--compact', junk], { encoding: 'utf8' }).trim();
      refuse('bad-magic', {
        prepare: `mkdir -p "$S/composefs/objects/${hex.slice(0, 2)}" && cp ${q(junk)} "$S/composefs/objects/${hex.slice(0, 2)}/${hex.slice(2)}" && ln -s "../objects/${hex.slice(0, 2)}/${hex.slice(2)}" "$S/composefs/images/${hex}" && mkdir -p "$S/state/deploy/${hex}/etc" "$S/state/deploy/${hex}/var"`,
        cmdline: () => `composefs.digest=?v1-sha512-12:${hex}`,
        step: 'mount',
        message: () => /reading the header of \S+: not a composefs image \(bad magic\)$/,
      });
    });
  });

  describe('repository', () => {
    it('refuses without meta.json', () => {
      refuse('meta-missing', { prepare: 'rm "$S/composefs/meta.json"', step: 'repository', message: () => /opening the composefs repository: \S+\/composefs: meta\.json not found/ });
    });
    it('refuses a meta.json of a newer version', () => {
      refuse('meta-newer', {
        prepare: `sed -i 's/"version": 1/"version": 2/' "$S/composefs/meta.json" && grep -q '"version": 2' "$S/composefs/meta.json"`,
        step: 'repository',
        message: () => /opening the composefs repository: \S+\/meta\.json: unsupported repository format version 2 \(this tool supports up to 1\)$/,
      });
    });
    it('refuses a repository of another algorithm than the karg', () => {
      refuse('meta-other-alg', {
        prepare: `sed -i 's/fsverity-sha512-12/fsverity-sha256-12/' "$S/composefs/meta.json" && grep -q sha256 "$S/composefs/meta.json"`,
        step: 'repository',
        message: () => /opening the composefs repository: \S+\/meta\.json: repository algorithm fsverity-sha256-12 does not match expected fsverity-sha512-12$/,
      });
    });
    it('refuses an unknown incompatible feature', () => {
      refuse('meta-incompat', {
        prepare: `sed -i 's/"incompatible": \\[\\]/"incompatible": ["from-the-future"]/' "$S/composefs/meta.json" && grep -q from-the-future "$S/composefs/meta.json"`,
        step: 'repository',
        message: () => /opening the composefs repository: \S+\/meta\.json: repository requires unknown incompatible features: \["from-the-future"\]$/,
      });
    });
    it('refuses a secure karg (no ?) on a repository whose meta.json has no fs-verity', () => {
      refuse('secure-on-insecure', {
        cmdline: () => f.main.secureKarg,
        step: 'repository',
        message: () => /opening the composefs repository: \S+\/composefs: repository was not initialized with fs-verity/,
      });
    });
  });

  describe('physical root and state', () => {
    it('refuses a sysroot that is not a mount point', () => {
      refuse('not-a-mount-point', { kind: 'dir', step: 'sysroot', message: () => /sysroot is not a mount point/ });
    });
    it('refuses without the state directory of the deployment', () => {
      refuse('state-missing', { prepare: 'rm -r "$S/state/deploy/$H"', step: 'state', message: () => new RegExp(`opening the state directory \\S+/state/deploy/${f.main.hex}: openat\\(.*\\): No such file or directory \\(ENOENT\\)$`) });
    });
    it('refuses without state/deploy/<hex>/etc when /etc is an overlay', () => {
      refuse('state-etc-missing', { prepare: 'rm -r "$S/state/deploy/$H/etc"', step: 'state', message: () => /opening \S+\/etc \(needed for the overlay mount of \/etc\): openat\(.*\): No such file or directory \(ENOENT\)$/ });
    });
    it('refuses without state/deploy/<hex>/var when /var is a bind mount', () => {
      refuse('state-var-missing', { prepare: 'rm -r "$S/state/deploy/$H/var"', step: 'state', message: () => /opening \S+\/var \(needed for the bind mount of \/var\): openat\(.*\): No such file or directory \(ENOENT\)$/ });
    });
  });

  describe('a failure after the composefs root is mounted unwinds everything', () => {
    const PATHS: Array<[string, Record<string, string>]> = [['floating', {}], ['mount-first', MOUNT_FIRST], ['legacy', LEGACY]];
    for (const kind of ['tmpfs', 'ext4'] as const) {
      for (const [label, env] of PATHS) {
        it(`image without /etc, etc = overlay (${label}, ${kind})`, () => {
          const { doc } = refuse(`no-etc-${label}-${kind}`, {
            kind,
            cmdline: () => f.noEtc.karg,
            env,
            step: 'mount',
            message: () => /opening \/etc of the composefs image: openat\(.*\): No such file or directory \(ENOENT\)$/,
          });
          // the composefs root had been mounted (and, mount-first, attached) before
          expect(doc['kernel']).toMatchObject({ assembly: label === 'floating' ? 'floating' : 'mount-first' });
        });
      }
    }
    for (const [label, env] of PATHS) {
      it(`state directory immutable: /var overlay fails after /etc was mounted (${label})`, () => {
        refuse(`immutable-var-${label}`, {
          kind: 'ext4',
          config: '[var]\nmount = "overlay"\n',
          prepare: 'chattr +i "$S/state/deploy/$H/var"',
          env,
          step: 'state',
          message: () => /creating \S+\/var\/upper: mkdirat\(.*\): Operation not permitted \(EPERM\)$/,
        });
      });
    }
  });
});
