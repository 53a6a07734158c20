import { describe, expect, it } from 'vitest';
import { parseMountinfo } from '../../../src/mount/mountinfo.js';
import { explainStatus } from '../../../src/setup-root/explain.js';
import type { StatusDocument } from '../../../src/setup-root/status.js';

const H = 'cd'.repeat(64);
const base: StatusDocument = {
  format: 1, tool: 'cfsboot 0.1.0', started: '2026-11-23T00:00:00Z', result: 'ok', sysroot: '/sysroot', target: '/sysroot',
  kargs: [{ arg: `composefs.digest=v1-sha512-12:${H}`, hex: H, insecure: false, outcome: 'mounted' }],
  image: { hex: H, path: `/sysroot/composefs/images/${H}`, verity: 'require', formatVersion: 1 },
  kernel: { release: '6.12.0', erofs: 'file', layers: 'proc-fd', assembly: 'mount-first', fallbacks: ['overlay layers as fd: EINVAL'], messages: [] },
  mounts: [{ path: '/', what: 'x' }], steps: [{ step: 'config', ms: 1 }], totalMs: 12.5,
};
const booted = parseMountinfo(`1 0 0:1 / / ro,relatime - overlay composefs:${H} ro,lowerdir+=/,verity=require\n`);
const plain = parseMountinfo('1 0 8:1 / / rw - ext4 /dev/sda1 rw\n');

describe('cfsboot status explanation', () => {
  it('a good boot, with the composefs root in place', () => {
    const ex = explainStatus(base, booted, '/run/cfsboot/status.json');
    expect(ex.ok).toBe(true);
    const text = ex.lines.join('\n');
    expect(text).toContain('composefs boot: OK');
    expect(text).toContain('verity:    required');
    expect(text).toContain('Linux 6.12.0');
    expect(text).toContain('/proc/self/fd paths (kernel < 6.15)');
    expect(text).toContain('composefs stacked on the physical root first');
    expect(text).toMatch(/Now: \/ is overlay "composefs:(cd)+" \(read-only, verity=require\) — the composefs root recorded above\./);
  });

  it('a recorded success whose root is gone is not ok', () => {
    const ex = explainStatus(base, plain, 'f');
    expect(ex.ok).toBe(false);
    expect(ex.lines.at(-1)).toMatch(/NOT mounted there/);
  });

  it('a failed boot names the step, the reason and every karg', () => {
    const failed: StatusDocument = {
      ...base, result: 'failed', failedStep: 'image', error: `checking the image: /sysroot/composefs/images/${H}: fs-verity content mismatch: expected ${H}, found sha512:00`,
      kargs: [{ arg: 'composefs=?' + 'ab'.repeat(32), hex: 'ab'.repeat(32), insecure: true, outcome: 'not-found', detail: 'missing' }, { ...base.kargs[0]!, outcome: 'failed' }],
      mounts: [],
    };
    delete failed.image;
    const ex = explainStatus(failed, plain, 'f');
    expect(ex.ok).toBe(false);
    expect(ex.lines[0]).toBe('composefs boot: FAILED while finding and verifying the image named by the karg.');
    expect(ex.lines[1]).toContain('fs-verity content mismatch');
    expect(ex.lines.filter((l) => l.includes('karg:'))).toHaveLength(2);
    expect(ex.lines.join('\n')).toContain('Nothing was mounted');
  });

  it('no status file', () => {
    const ex = explainStatus(undefined, plain, '/run/cfsboot/status.json');
    expect(ex.ok).toBe(false);
    expect(ex.lines[0]).toMatch(/No composefs boot is recorded/);
    expect(ex.lines[1]).toBe('Now: / is ext4 "/dev/sda1" (read-write).');
  });
});
