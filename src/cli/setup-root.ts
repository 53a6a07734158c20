/**
 * `composefs-setup-root` / `cfsboot setup-root`: composefs-rs 0.9's flags (`--sysroot`,
 * `--config`, `--cmdline`, `--root-fs`, `--target`, ignored trailing `[CMD]...`), plus
 * `--status-file`. Exit 0 on success (or when the root is already in place), 1 on failure (one
 * line on stderr and /dev/kmsg), 2 on wrong usage.
 */
import { Command } from 'commander';
import { ExitStatus } from './errors.js';
import type { Io } from './io.js';

export function setupRootCommand(name: string, io: Io): Command {
  return new Command(name)
    .description('mount the composefs root named on the kernel command line (drop-in for composefs-setup-root)')
    .option('--sysroot <path>', 'physical root mountpoint to read from and to replace', '/sysroot')
    .option('--config <path>', 'configuration file (TOML)', '/usr/lib/composefs/setup-root-conf.toml')
    .option('--cmdline <string>', 'use this instead of /proc/cmdline (testing)')
    .option('--root-fs <path>', 'clone this tree instead of mounting an image (testing; no repository, no verity)')
    .option('--target <path>', 'mount the result here instead of replacing the sysroot')
    .option('--status-file <path>', 'where to record the outcome (status.json)', '/run/cfsboot/status.json')
    .argument('[cmd...]', 'ignored (composefs-rs accepts a command for testing and ignores it too)')
    .action(async (_cmd: string[], o: { sysroot: string; config: string; cmdline?: string; rootFs?: string; target?: string; statusFile: string }) => {
      const { setupRoot } = await import('../setup-root/setup-root.js');
      const { BootLog } = await import('../setup-root/log.js');
      const log = new BootLog(io);
      try {
        const status = setupRoot({
          sysroot: o.sysroot,
          config: o.config,
          ...(o.cmdline !== undefined ? { cmdline: o.cmdline } : {}),
          ...(o.rootFs !== undefined ? { rootFs: o.rootFs } : {}),
          ...(o.target !== undefined ? { target: o.target } : {}),
          ...(o.statusFile !== '' ? { statusFile: o.statusFile } : {}),
        }, log);
        if (status !== 0) throw new ExitStatus(status);
      } finally {
        log.close();
      }
    });
}
