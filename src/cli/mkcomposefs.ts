/**
 * `mkcomposefs` drop-in (C composefs 1.0.8 flags, erofs.md §11) plus `--format v1|v2`.
 * Differences from C, on purpose: the image is written to a temporary file and renamed into
 * place (C truncates IMAGE first, so a failure leaves an empty or partial file); dumpfile errors
 * carry a line number.
 */
import { Command, Option } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { availableParallelism } from 'node:os';
import { CliError } from './errors.js';
import { type Io, stdStream, writeFd } from './io.js';
import type { Node } from '../tree/node.js';

interface Options {
  digestStore?: string;
  useEpoch?: boolean;
  skipDevices?: boolean;
  skipXattrs?: boolean;
  userXattrs?: boolean;
  printDigest?: boolean;
  printDigestOnly?: boolean;
  fromFile?: boolean;
  minVersion?: string;
  maxVersion?: string;
  threads?: string;
  format: 'v1' | 'v2';
}

function parseCount(v: string | undefined, what: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min) throw new CliError(`Invalid ${what} ${v}`);
  return Number(v);
}

async function loadTree(source: string, opts: Options, threads: number): Promise<Node> {
  if (opts.fromFile) {
    const { parseDumpfileStream, DumpfileError } = await import('../dumpfile/index.js');
    const stream = source === '-' ? process.stdin : fs.createReadStream(source, { highWaterMark: 1 << 20 });
    try {
      return await parseDumpfileStream(stream);
    } catch (e) {
      if (e instanceof DumpfileError) throw new CliError(`${source}: ${e.message}`);
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== undefined) throw new CliError(`open \`${source}\`: ${code}`);
      throw e;
    }
  }
  if (opts.skipXattrs && opts.userXattrs) throw new CliError(`error accessing ${source}: --skip-xattrs and --user-xattrs exclude each other`);
  const { scanDirectory, ScanError } = await import('../tree/scan.js');
  const { createProgress } = await import('../tree/progress.js');
  const progress = createProgress({ label: 'scanning', stream: stdStream(2) });
  try {
    return await scanDirectory(source, {
      useEpoch: opts.useEpoch,
      skipXattrs: opts.skipXattrs,
      userXattrs: opts.userXattrs,
      skipDevices: opts.skipDevices,
      threads,
      onProgress: (done, total) => progress.update(done, total),
    });
  } catch (e) {
    if (e instanceof ScanError) throw new CliError(`error accessing ${e.message.replace(/^scan: /, '')}`);
    throw e;
  } finally {
    progress.finish();
  }
}

/** Writes `data` to `target` atomically (temp file in the same directory, fsync, rename). */
function writeAtomically(target: string, data: Uint8Array): void {
  const dir = path.dirname(path.resolve(target));
  const tmp = path.join(dir, `.${path.basename(target)}.tmp-${process.pid}`);
  let fd: number;
  try {
    fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o644);
  } catch (e) {
    throw new CliError(`failed to open output file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} (${target})`);
  }
  try {
    fs.writeSync(fd, data);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, target);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw new CliError(`cannot write file ${target}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

async function run(source: string | undefined, image: string | undefined, opts: Options, io: Io, usage: () => string): Promise<void> {
  const usageError = (msg: string): never => {
    throw new CliError(`${msg}\n${usage().trimEnd()}`);
  };
  if (source === undefined) usageError('No source path specified');
  if (opts.printDigestOnly && image !== undefined) usageError('Cannot specify destination path with --print-digest-only');
  if (!opts.printDigestOnly && image === undefined) usageError('No destination path specified');
  const threads = parseCount(opts.threads, 'threads count', 1) ?? availableParallelism();
  let minVersion = parseCount(opts.minVersion, 'min version', 0);
  let maxVersion = parseCount(opts.maxVersion, 'max version', 0);
  if (minVersion !== undefined || maxVersion !== undefined) {
    minVersion ??= 0;
    maxVersion ??= 0;
  }
  if ((minVersion ?? 0) > 1 || (maxVersion ?? 0) > 1) throw new CliError('cannot write file: Invalid argument (format versions above 1 do not exist)');
  if (image === '-' && process.getBuiltinModule('node:tty').isatty(1)) throw new CliError('stdout is a tty.  Refusing to use it');
  if (opts.format === 'v2' && (minVersion !== undefined || maxVersion !== undefined)) {
    throw new CliError('--format v2: --min-version/--max-version select V1 format versions and cannot be combined with v2');
  }

  const root = await loadTree(source!, opts, threads);
  const { writeImageV1, writeImageV2, imageDigestHex } = await import('../erofs/index.js');
  let bytes: Buffer;
  try {
    // C ignores --use-epoch for a dumpfile source: its mtimes are taken literally.
    const useEpoch = opts.useEpoch && !opts.fromFile;
    // --format v2: the composefs-rs native layout (erofs.md §13), header composefs_version 2
    bytes = opts.format === 'v2' ? writeImageV2(root, { useEpoch }) : writeImageV1(root, { useEpoch, minVersion, maxVersion });
  } catch (e) {
    throw new CliError(`cannot write image: ${(e as Error).message}`);
  }
  if (opts.digestStore !== undefined && !opts.fromFile) {
    const { fillDigestStore } = await import('../tree/digest-store.js');
    const { enableVerityOnFile, VerityError } = await import('../verity/kernel.js');
    await fillDigestStore(root, source!, opts.digestStore, async (file) => {
      try {
        await enableVerityOnFile(file, 'sha256');
      } catch (e) {
        // best effort, as C: a store on a filesystem without fs-verity is still a store
        if (!(e instanceof VerityError) || !['ENOTTY', 'EOPNOTSUPP'].includes(e.code ?? '')) throw e;
      }
    });
  }
  if (!opts.printDigestOnly) {
    if (image === '-') writeFd(1, bytes);
    else writeAtomically(image!, bytes);
  }
  if (opts.printDigest || opts.printDigestOnly) io.out(imageDigestHex(bytes));
}

export function mkcomposefsCommand(name: string, io: Io): Command {
  const cmd = new Command(name)
    .description('build a composefs EROFS image from a directory or a dumpfile (drop-in for mkcomposefs 1.0.8)')
    .usage('[OPTIONS] SOURCE IMAGE')
    .argument('[SOURCE]', 'a directory, or a dumpfile with --from-file; - for stdin')
    .argument('[IMAGE]', 'the image to write; - for stdout')
    .option('--digest-store <PATH>', 'store content files in this directory')
    .option('--use-epoch', 'make all mtimes zero')
    .option('--skip-devices', "don't store device nodes")
    .option('--skip-xattrs', "don't store file xattrs")
    .option('--user-xattrs', 'only store user.* xattrs')
    .option('--print-digest', 'print the digest of the image')
    .option('--print-digest-only', "print the digest of the image, don't write image")
    .option('--from-file', 'the source is a dump file, not a directory')
    .option('--min-version <N>', 'use this minimal format version (default=0)')
    .option('--max-version <N>', 'use this maximum format version (default=1)')
    .option('--threads <N>', 'threads used to calculate digests (default: cores)')
    .addOption(new Option('--format <FORMAT>', 'image layout: v1 (C mkcomposefs) or v2 (composefs-rs)').choices(['v1', 'v2']).default('v1'));
  cmd.action(async (source: string | undefined, image: string | undefined, opts: Options) => {
    await run(source, image, opts, io, () => cmd.helpInformation());
  });
  return cmd;
}
