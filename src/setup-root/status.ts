/**
 * `/run/cfsboot/status.json`: what setup-root tried and what happened, for `cfsboot status` in the
 * emergency shell and on the booted system (/run survives switch-root). Written atomically
 * (temp name, fsync, rename) after every run, success or failure.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { VERSION } from '../version.js';

export const DEFAULT_STATUS_FILE = '/run/cfsboot/status.json';
export const STATUS_FORMAT = 1;

export type KargOutcome = 'mounted' | 'not-found' | 'failed' | 'not-tried';

export interface StatusKarg {
  arg: string;
  hex: string;
  insecure: boolean;
  outcome: KargOutcome;
  detail?: string;
}

export interface StatusDocument {
  format: number;
  tool: string;
  started: string;
  result: 'ok' | 'failed' | 'already-mounted' | 'running';
  error?: string;
  /** Which check failed (a short key: cmdline, config, sysroot, repository, image, state, mount, …). */
  failedStep?: string;
  cmdline?: string;
  sysroot: string;
  target: string;
  rootFs?: string;
  config?: { file: string; found: boolean; root: { transient: boolean }; etc: string; var: string };
  kargs: StatusKarg[];
  repository?: { path: string; algorithm: string; metaVerity: boolean };
  image?: {
    hex: string;
    path: string;
    /** `require`: measured digest equals the karg; `off`: insecure karg and the image has no verity. */
    verity: 'require' | 'off';
    formatVersion?: number;
  };
  kernel?: {
    release: string;
    erofs?: string;
    loopDevice?: string;
    layers?: string;
    assembly?: 'floating' | 'mount-first';
    fallbacks: string[];
    messages: string[];
  };
  mounts: Array<{ path: string; what: string }>;
  /** Mount id of the composefs root once in place (statx STATX_MNT_ID). */
  rootMountId?: number;
  steps: Array<{ step: string; ms: number }>;
  /** Time from process start to the beginning of the sequence (executable start-up, module loading). */
  startupMs?: number;
  totalMs?: number;
  cleanup?: string[];
}

export class StatusRecorder {
  readonly doc: StatusDocument;
  private readonly t0 = performance.now();
  private last = this.t0;

  constructor(readonly file: string | undefined, sysroot: string, target: string) {
    this.doc = {
      format: STATUS_FORMAT,
      tool: `cfsboot ${VERSION}`,
      started: new Date().toISOString(),
      result: 'running',
      sysroot,
      target,
      kargs: [],
      mounts: [],
      steps: [],
      startupMs: Math.round(this.t0 * 1000) / 1000,
    };
  }

  /** Records the time since the previous step under `step`. */
  step(step: string): void {
    const now = performance.now();
    this.doc.steps.push({ step, ms: Math.round((now - this.last) * 1000) / 1000 });
    this.last = now;
  }

  kernel(): NonNullable<StatusDocument['kernel']> {
    this.doc.kernel ??= { release: os.release(), fallbacks: [], messages: [] };
    return this.doc.kernel;
  }

  finish(result: StatusDocument['result'], error?: { step: string; message: string }): void {
    this.doc.result = result;
    if (error !== undefined) {
      this.doc.error = error.message;
      this.doc.failedStep = error.step;
    }
    this.doc.totalMs = Math.round((performance.now() - this.t0) * 1000) / 1000;
  }

  /** Writes the document atomically; returns an error text instead of throwing. */
  write(): string | undefined {
    if (this.file === undefined) return undefined;
    const dir = path.dirname(this.file);
    const tmp = path.join(dir, `.${path.basename(this.file)}.${process.pid}.tmp`);
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
      const fd = fs.openSync(tmp, 'w', 0o644);
      try {
        fs.writeSync(fd, `${JSON.stringify(this.doc, null, 2)}\n`);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, this.file);
      return undefined;
    } catch (e) {
      try {
        fs.rmSync(tmp, { force: true });
      } catch {
        // nothing more to do
      }
      return `writing ${this.file}: ${(e as Error).message}`;
    }
  }
}

/** Reads a status document; undefined when the file does not exist. */
export function readStatus(file: string = DEFAULT_STATUS_FILE): StatusDocument | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  try {
    const doc = JSON.parse(text) as StatusDocument;
    if (typeof doc !== 'object' || doc === null || doc.format !== STATUS_FORMAT) throw new Error(`unknown status format ${String((doc as { format?: unknown })?.format)}`);
    return doc;
  } catch (e) {
    throw new Error(`${file}: not a cfsboot status file: ${(e as Error).message}`);
  }
}
