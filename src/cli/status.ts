/** `cfsboot status`: explains the current boot from /run/cfsboot/status.json and the mount table. */
import { Command } from 'commander';
import { CliError, ExitStatus } from './errors.js';
import type { Io } from './io.js';

export function statusCommand(io: Io): Command {
  return new Command('status')
    .description('explain how this boot mounted (or failed to mount) the composefs root')
    .option('--file <path>', 'status file written by setup-root', '/run/cfsboot/status.json')
    .option('--json', 'print the status document and the current root mount as JSON')
    .action(async (o: { file: string; json?: boolean }) => {
      const { readStatus } = await import('../setup-root/status.js');
      const { explainStatus } = await import('../setup-root/explain.js');
      const { readMountinfo, topMountAt } = await import('../mount/mountinfo.js');
      let doc;
      try {
        doc = readStatus(o.file);
      } catch (e) {
        throw new CliError((e as Error).message);
      }
      const mounts = readMountinfo();
      const ex = explainStatus(doc, mounts, o.file);
      if (o.json === true) {
        io.out(JSON.stringify({ status: doc ?? null, root: topMountAt(mounts, '/') ?? null, ok: ex.ok }, null, 2));
      } else {
        for (const l of ex.lines) io.out(l);
      }
      if (!ex.ok) throw new ExitStatus(1);
    });
}
