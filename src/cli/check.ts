/**
 * `cfsboot check [--cmdline STRING | --uki FILE.efi] [--sysroot DIR]`: would the next boot succeed?
 * Exit 0 yes, 1 no (with the reason as the last line).
 */
import * as fs from 'node:fs';
import { Command } from 'commander';
import { CliError, ExitStatus } from './errors.js';
import type { Io } from './io.js';

export function checkCommand(io: Io): Command {
  return new Command('check')
    .description('pre-flight: check that the repository can boot the karg of a command line or UKI, before rebooting')
    .option('--cmdline <string>', 'kernel command line to check (default: /proc/cmdline)')
    .option('--uki <file>', "check the karg in this UKI's .cmdline section")
    .option('--sysroot <dir>', 'physical root holding composefs/ and state/', '/sysroot')
    .option('--config <path>', 'setup-root configuration the initramfs will use', '/usr/lib/composefs/setup-root-conf.toml')
    .option('--json', 'print the result as JSON')
    .action(async (o: { cmdline?: string; uki?: string; sysroot: string; config: string; json?: boolean }) => {
      if (o.cmdline !== undefined && o.uki !== undefined) throw new CliError('--cmdline and --uki exclude each other', 2);
      let cmdline: string;
      let source: string;
      if (o.uki !== undefined) {
        const { ukiCmdline } = await import('../uki/pe.js');
        try {
          cmdline = ukiCmdline(o.uki);
        } catch (e) {
          throw new CliError((e as Error).message);
        }
        source = `${o.uki} (.cmdline)`;
      } else if (o.cmdline !== undefined) {
        cmdline = o.cmdline;
        source = '--cmdline';
      } else {
        try {
          cmdline = fs.readFileSync('/proc/cmdline', 'utf8');
        } catch (e) {
          throw new CliError(`/proc/cmdline: ${(e as Error).message}`);
        }
        source = '/proc/cmdline';
      }
      const { preflight } = await import('../setup-root/check.js');
      const r = preflight({ cmdline, cmdlineSource: source, sysroot: o.sysroot, config: o.config });
      if (o.json === true) {
        io.out(JSON.stringify({ ok: r.ok, verdict: r.verdict, cmdline: cmdline.trim(), checks: r.lines }, null, 2));
      } else {
        for (const l of r.lines) io.out(`${l.ok ? (l.warn === true ? 'warn' : 'ok  ') : 'FAIL'}  ${l.text}`);
        io.out(r.verdict.charAt(0).toUpperCase() + r.verdict.slice(1));
      }
      if (!r.ok) throw new ExitStatus(1);
    });
}
