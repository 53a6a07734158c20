/** Driver of qemu-tests/system/demo.sh (run by vitest only for its TypeScript loader). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { it } from 'vitest';
import * as h from '../../lib/harness';
import * as rp from './repos';
import * as s from './system';

const OUT = process.env.CFSBOOT_BOOT_DEMO;

it.runIf(OUT !== undefined)('boot demo', async () => {
  const kernel = process.env.DEMO_KERNEL ?? 'trixie-6.12';
  h.ensureAssets();
  const env = s.ensureSystemAssets();
  const ws = new s.Workspace(env);
  const repos = await rp.repos(ws);
  const karg = repos.v1.computeKarg!;
  const logs = h.scratchDir('cfsboot-boot-demo-');
  const cmdline = s.cmdline(karg);
  const r = await s.bootUefi(env, {
    disks: [{ file: ws.espDisk(kernel, cmdline) }, { file: repos.v1.disk, snapshot: true }],
    logFile: path.join(logs, 'serial.log'),
  });
  const v = (k: string): string[] => h.resultValues(r, k);
  const lines = [
    `== UKI .cmdline: ${cmdline}`,
    `== booted ${s.one(r, 'kernel')} under OVMF in ${r.seconds.toFixed(1)} s (serial log: ${r.logFile})`,
    r.probeDone ? '== the booted system reports:' : `== BOOT FAILED\n${s.describeUefi('demo', r)}`,
    ...['/', '/sysroot', '/etc', '/var'].map((m) => `   ${m.padEnd(9)} ${s.one(r, `mount:${m}`)}`),
    `   / writable: ${s.one(r, 'root-writable')}; /etc writable: ${s.one(r, 'etc-write')}; /var writable: ${s.one(r, 'var-write')}`,
    `   initrd start -> switch-root: ${(Number(s.one(r, 'initrd-duration-usec')) / 1e6).toFixed(2)} s`,
    '== journal of cfsboot-setup-root.service (in the initramfs):',
    ...v('setup-root-journal').map((l) => `   ${l}`),
    '== cfsboot status:',
    ...v('status').map((l) => `   ${l}`),
    '',
  ];
  fs.writeFileSync(OUT!, lines.join('\n'));
  if (r.probeDone) h.cleanup(logs);
  if (!r.probeDone) throw new Error('boot failed');
});
