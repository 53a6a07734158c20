/**
 * `composefs-info` drop-in (C composefs 1.0.8, erofs.md §9):
 *
 *   composefs-info [--basedir=DIR] [--filter=NAME]… ls|dump|objects|missing-objects|measure-file FILES…
 *
 * Output of `ls`, `dump`, `objects`, `missing-objects` and `measure-file` is byte for byte C's,
 * except where C 1.0.8 is wrong (on purpose, see src/erofs/read/index.ts):
 *  * payloads come from `trusted.overlay.redirect` minus exactly one `/` (C appends the two bytes
 *    that follow the value in the image, e.g. `rel\xff\xff`, in every subcommand);
 *  * an empty ACL xattr that is the last inline xattr is shown (C drops it);
 *  * in V2 images char devices 0/0 are user whiteouts and are listed (C drops them);
 *  * `measure-file` of an empty (or otherwise empty-reading) file prints the kernel's digest
 *    (C prints a digest the kernel never computes);
 *  * images C would read past their end or loop on are rejected with a message saying why.
 * Messages: the same texts and exit status 1 as C; the few lines C prints without the program-name
 * prefix ("No command specified", "No image path specified", "No files specified", "failed to
 * measure …") get it here, like every other cfsboot error line.
 */
import { Command } from 'commander';
import * as fs from 'node:fs';
import { CliError } from './errors.js';
import { type Io, writeFd } from './io.js';
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, compareBytes, type ByteString, type Node } from '../tree/node.js';

const USAGE = 'usage: composefs-info [--basedir=path] [ls|objects|dump|missing-objects|measure-file] IMAGES...';
const LONG_OPTIONS = ['basedir', 'filter'] as const;
const COMMANDS = new Set(['ls', 'dump', 'objects', 'missing-objects', 'measure-file']);

/** glibc strerror texts for the errno codes these commands can meet. */
const STRERROR: Record<string, string> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  EIO: 'Input/output error',
  ENXIO: 'No such device or address',
  EBADF: 'Bad file descriptor',
  ENOMEM: 'Cannot allocate memory',
  EACCES: 'Permission denied',
  EBUSY: 'Device or resource busy',
  ENODEV: 'No such device',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EINVAL: 'Invalid argument',
  EMFILE: 'Too many open files',
  ENFILE: 'Too many open files in system',
  ENOTTY: 'Inappropriate ioctl for device',
  EFBIG: 'File too large',
  ENOSPC: 'No space left on device',
  EROFS: 'Read-only file system',
  ENAMETOOLONG: 'File name too long',
  ELOOP: 'Too many levels of symbolic links',
  ENODATA: 'No data available',
  EOVERFLOW: 'Value too large for defined data type',
  EOPNOTSUPP: 'Operation not supported',
  ENOTSUP: 'Operation not supported',
  ETXTBSY: 'Text file busy',
};

export function strerror(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code !== undefined && STRERROR[code] !== undefined) return STRERROR[code]!;
  return code ?? (e as Error)?.message ?? String(e);
}

export interface InfoOptions {
  basedir?: string;
  filter: ByteString[];
}

/** Result of the getopt_long-style scan of C composefs-info (permuting; `--` ends options). */
export function parseInfoArgs(args: string[]): { opts: InfoOptions; operands: string[] } | { error: string; usage: boolean } {
  const opts: InfoOptions = { filter: [] };
  const operands: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      operands.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const exact = LONG_OPTIONS.find((o) => o === name);
      const matches = exact !== undefined ? [exact] : LONG_OPTIONS.filter((o) => o.startsWith(name));
      if (matches.length === 0) return { error: `unrecognized option '${a}'`, usage: true };
      if (matches.length > 1) return { error: `option '${a}' is ambiguous; possibilities: ${matches.map((m) => `'--${m}'`).join(' ')}`, usage: true };
      const opt = matches[0]!;
      let value: string;
      if (eq >= 0) value = a.slice(eq + 1);
      else if (i + 1 < args.length) value = args[++i]!;
      else return { error: `option '--${opt}' requires an argument`, usage: true };
      if (opt === 'basedir') opts.basedir = value;
      else {
        // C calls err() here with errno 0, hence the ": Success"
        if (value.includes('/')) return { error: `Filter must be a single name: ${value}: Success`, usage: false };
        opts.filter.push(Buffer.from(value, 'utf8').toString('latin1'));
      }
      continue;
    }
    if (a.startsWith('-') && a.length > 1) return { error: `invalid option -- '${a[1]}'`, usage: true };
    operands.push(a);
  }
  return { opts, operands };
}

/** Escaping of `print_escaped` in C composefs-info: `graph` = ESCAPE_STANDARD, `print` = NOESCAPE_SPACE. */
function escapeLs(s: ByteString, keep: 'graph' | 'print'): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c > 0x7e || c < (keep === 'graph' ? 0x21 : 0x20)) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += s[i];
  }
  return out;
}

/**
 * Calls `visit(path, node, isLink)` for every entry below `root`, depth-first, children in name
 * order; a node met again (hard link) is visited with isLink = true and not descended into.
 */
function walk(root: Node, visit: (path: ByteString, node: Node, isLink: boolean) => void): void {
  const seen = new Set<Node>([root]);
  const stack: Array<[ByteString, Node]> = [];
  const push = (prefix: ByteString, dir: Node): void => {
    const names = [...dir.children!.keys()].sort(compareBytes);
    for (let i = names.length - 1; i >= 0; i--) stack.push([`${prefix}/${names[i]!}`, dir.children!.get(names[i]!)!]);
  };
  push('', root);
  while (stack.length > 0) {
    const [path, node] = stack.pop()!;
    if (seen.has(node)) {
      visit(path, node, true);
      continue;
    }
    seen.add(node);
    visit(path, node, false);
    if (node.children !== undefined) push(path, node);
  }
}

/** `ls`: one line per entry (a hard link's second occurrence is the bare path, as in C). */
export function lsLines(root: Node, out: (s: string) => void): void {
  walk(root, (path, node, isLink) => {
    let line = escapeLs(path, 'print');
    if (!isLink) {
      const type = node.mode & S_IFMT;
      if (type === S_IFDIR) line += '/\t';
      else if (type === S_IFLNK) line += `\t-> ${escapeLs(node.payload ?? '', 'graph')}`;
      else if (type === S_IFREG && node.payload !== undefined) line += `\t@ ${escapeLs(node.payload, 'graph')}`;
    }
    out(line + '\n');
  });
}

/** Payloads of the regular files below `root`, in walk order (duplicates included). */
export function payloads(root: Node): ByteString[] {
  const out: ByteString[] = [];
  walk(root, (_path, node, isLink) => {
    if (!isLink && (node.mode & S_IFMT) === S_IFREG && node.payload !== undefined) out.push(node.payload);
  });
  return out;
}

/** Whether C's `fstatat(basedir_fd, payload without leading '/', AT_EMPTY_PATH)` succeeds. */
function objectPresent(basedir: string | undefined, payload: ByteString): boolean {
  const rel = payload.replace(/^\/+/, '');
  try {
    if (basedir === undefined) {
      // C's basedir fd defaults to 0 (stdin): only an empty path (fstat of stdin) can succeed.
      if (rel !== '') return false;
      fs.fstatSync(0);
      return true;
    }
    const p = rel === '' ? Buffer.from(basedir, 'utf8') : Buffer.concat([Buffer.from(`${basedir}/`, 'utf8'), Buffer.from(rel, 'latin1')]);
    fs.statSync(p);
    return true;
  } catch {
    return false;
  }
}

function loadImage(file: string, filter: ByteString[] | undefined, readImage: typeof import('../erofs/read/index.js').readImage, ImageError: typeof import('../erofs/read/index.js').ImageError): Node {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY);
  } catch (e) {
    throw new CliError(`Failed to open '${file}': ${strerror(e)}`);
  }
  let bytes: Buffer;
  try {
    // C mmaps the image: that fails with ENODEV on a directory.
    if (fs.fstatSync(fd).isDirectory()) throw new CliError(`Failed to load '${file}': ${STRERROR.ENODEV}`);
    bytes = fs.readFileSync(fd);
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`Failed to load '${file}': ${strerror(e)}`);
  } finally {
    fs.closeSync(fd);
  }
  try {
    return readImage(bytes, { filter });
  } catch (e) {
    // C says only "Invalid argument" (EINVAL); the reason follows in parentheses
    if (e instanceof ImageError) throw new CliError(`Failed to load '${file}': ${STRERROR.EINVAL} (${e.message})`);
    throw e;
  }
}

async function measureFiles(files: string[], write: (b: Buffer | string) => void): Promise<void> {
  const { measureVerityOfFile, VerityError, verityDigestOfFd } = await import('../verity/index.js');
  for (const file of files) {
    let fd: number;
    try {
      fd = fs.openSync(file, fs.constants.O_RDONLY);
    } catch (e) {
      throw new CliError(`Failed to open '${file}': ${strerror(e)}`);
    }
    try {
      let digest: Buffer | undefined;
      try {
        const m = measureVerityOfFile(file);
        if (m.hash !== 'sha256') throw new CliError(`failed to measure '${file}': fs-verity is enabled with ${m.hash}, not sha256`);
        digest = m.digest;
      } catch (e) {
        if (e instanceof CliError) throw e;
        // No fs-verity on the file (or no kernel support): computed below, as C does. An error
        // without an errno (the native addon could not be loaded) is treated the same way.
        const code = e instanceof VerityError ? e.code : undefined;
        if (code !== undefined && code !== 'ENODATA' && code !== 'ENOTTY' && code !== 'EOPNOTSUPP') {
          throw new CliError(`failed to measure '${file}': ${strerror({ code })}`);
        }
      }
      if (digest === undefined) {
        try {
          digest = verityDigestOfFd(fd, 'sha256', file);
        } catch {
          // C reports the errno of the failed measurement then (ENODATA), not the read error
          throw new CliError(`failed to measure '${file}': ${STRERROR.ENODATA}`);
        }
      }
      write(`${digest.toString('hex')}\n`);
    } finally {
      fs.closeSync(fd);
    }
  }
}

export interface InfoStreams {
  /** raw stdout bytes (dump, ls, objects, digests) */
  write: (b: Buffer | string) => void;
}

const stdoutStreams: InfoStreams = { write: (b) => writeFd(1, typeof b === 'string' ? Buffer.from(b, 'latin1') : b) };

/** Runs composefs-info on its raw arguments. Errors are CliErrors with C's texts, status 1. */
export async function runComposefsInfo(args: string[], io: Io, streams: InfoStreams = stdoutStreams, prefix = ''): Promise<void> {
  const fail: (msg: string) => never = (msg) => {
    throw new CliError(prefix + msg, 1);
  };
  const parsed = parseInfoArgs(args);
  if ('error' in parsed) {
    if (!parsed.usage) fail(parsed.error);
    io.out('Def'); // sic: C prints this on stdout for any option error
    fail(`${parsed.error}\n${USAGE}`);
  }
  const { opts, operands } = parsed;
  if (operands.length === 0) fail(`No command specified\n${USAGE}`);
  const command = operands[0]!;
  const files = operands.slice(1);
  if (!COMMANDS.has(command)) fail(`Unknown command '${command}'\n`);
  if (command === 'measure-file') {
    if (files.length === 0) fail(`No files specified\n${USAGE}`);
    await measureFiles(files, streams.write);
    return;
  }
  if (opts.basedir !== undefined) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(opts.basedir);
    } catch (e) {
      fail(`Can't open basedir \`${opts.basedir}\`\n: ${strerror(e)}`);
    }
    if (!st!.isDirectory()) fail(`Can't open basedir \`${opts.basedir}\`\n: ${STRERROR.ENOTDIR}`);
  }
  if (files.length === 0) fail(`No image path specified\n${USAGE}`);
  const { readImage, ImageError } = await import('../erofs/read/index.js');
  const filter = opts.filter.length > 0 ? opts.filter : undefined;
  const objects = new Set<ByteString>();
  for (const file of files) {
    let root: Node;
    try {
      root = loadImage(file, filter, readImage, ImageError);
    } catch (e) {
      if (e instanceof CliError) fail(e.message);
      throw e;
    }
    if (command === 'dump') {
      const { writeDumpfile } = await import('../dumpfile/index.js');
      writeDumpfile(root!, (chunk) => streams.write(chunk));
    } else if (command === 'ls') {
      let buf = '';
      lsLines(root!, (s) => {
        buf += s;
        if (buf.length >= 1 << 16) {
          streams.write(buf);
          buf = '';
        }
      });
      if (buf !== '') streams.write(buf);
    } else {
      for (const p of payloads(root!)) {
        if (objects.has(p)) continue;
        if (command === 'objects' || !objectPresent(opts.basedir, p)) objects.add(p);
      }
    }
  }
  if (command === 'objects' || command === 'missing-objects') {
    const sorted = [...objects].sort(compareBytes);
    // C prints these raw (printf "%s\n"), truncated at a NUL like any C string
    if (sorted.length > 0) streams.write(sorted.map((p) => `${p}\n`).join(''));
  }
}

export function composefsInfoCommand(name: string, io: Io, asSubcommand = false): Command {
  return new Command(name)
    .description('inspect a composefs image (drop-in for composefs-info 1.0.8)')
    .usage('[--basedir=DIR] [--filter=NAME]... ls|dump|objects|missing-objects|measure-file FILES...')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .action(async (args: string[]) => {
      await runComposefsInfo(args, io, stdoutStreams, asSubcommand ? 'composefs-info: ' : '');
    });
}
