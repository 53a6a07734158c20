/**
 * Boot messages: one line each on stderr (the unit sends it to journal+console) and, inside an
 * initramfs, on /dev/kmsg with the `cfsboot:` prefix so that they reach the kernel log even when
 * the journal is not up yet.
 */
import * as fs from 'node:fs';
import type { Io } from '../cli/io.js';

export const PREFIX = 'cfsboot';

function kmsgWanted(): boolean {
  const env = process.env['CFSBOOT_KMSG'];
  if (env === '0') return false;
  if (env === '1') return true;
  return fs.existsSync('/etc/initrd-release');
}

export class BootLog {
  private kmsgFd: number | undefined | null;

  constructor(private readonly io: Io) {}

  private kmsg(level: number, line: string): void {
    if (this.kmsgFd === null) return;
    if (this.kmsgFd === undefined) {
      if (!kmsgWanted()) {
        this.kmsgFd = null;
        return;
      }
      try {
        this.kmsgFd = fs.openSync('/dev/kmsg', 'w');
      } catch {
        this.kmsgFd = null;
        return;
      }
    }
    try {
      fs.writeSync(this.kmsgFd, `<${level}>${PREFIX}: ${line}\n`);
    } catch {
      // the kernel log is a second copy; stderr has the message
    }
  }

  info(line: string): void {
    this.io.err(`${PREFIX}: ${line}`);
    this.kmsg(6, line);
  }

  warn(line: string): void {
    this.io.err(`${PREFIX}: ${line}`);
    this.kmsg(4, line);
  }

  error(line: string): void {
    this.io.err(`${PREFIX}: ${line}`);
    this.kmsg(3, line);
  }

  close(): void {
    if (typeof this.kmsgFd === 'number') fs.closeSync(this.kmsgFd);
    this.kmsgFd = null;
  }
}
