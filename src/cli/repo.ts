/**
 * `cfsboot repo …`: the repository commands of `cfsctl` (composefs-rs 0.9, boot.md §2.8) with the
 * same output texts.
 *
 * Global options (given after `repo`, before the subcommand): `--repo PATH` | `--user` |
 * `--system` (default: uid 0 → /sysroot/composefs, others → $HOME/.var/lib/composefs),
 * `--hash sha256|sha512`, `--erofs-version 0|1|2`, `--require-verity`, `--no-upgrade`,
 * `--insecure`.
 *
 * `repo init --dual` is ours (cfsctl 0.9 has no flag for it): V1 default plus V2 extra,
 * i.e. `"erofs_formats": {"default": 1, "extra": [2]}`.
 *
 * The implementation is imported when a command runs, so start-up does not load the addon.
 */
import { Command, Option } from 'commander';
import { CliError } from './errors.js';
import { type Io, stdStream } from './io.js';

export const SYSTEM_REPO_PATH = '/sysroot/composefs';

interface GlobalOpts {
  repo?: string;
  user?: boolean;
  system?: boolean;
  hash?: 'sha256' | 'sha512';
  erofsVersion?: string;
  requireVerity?: boolean;
  upgrade?: boolean;
  insecure?: boolean;
}

/** `--repo` / `--system` / `--user` / default by uid (boot.md §2.1). */
export function resolveRepoPath(g: GlobalOpts, env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? 0): string {
  if (g.repo !== undefined) return g.repo;
  if (g.system === true) return SYSTEM_REPO_PATH;
  const user = (): string => {
    const home = env['HOME'];
    if (home === undefined || home === '') throw new CliError('$HOME must be set when in user mode');
    return `${home}/.var/lib/composefs`;
  };
  if (g.user === true) return user();
  return uid === 0 ? SYSTEM_REPO_PATH : user();
}

function erofsVersionOption(desc: string): Option {
  return new Option('--erofs-version <version>', desc).choices(['0', '1', '2']);
}

async function loadRepo() {
  return import('../repository/index.js');
}

type RepoModule = Awaited<ReturnType<typeof loadRepo>>;

/** A progress bar on stderr, drawn only on a TTY and only after a second (src/tree/progress). */
async function progressBar(label: string): Promise<import('../tree/progress.js').Progress> {
  const { createProgress } = await import('../tree/progress.js');
  return createProgress({ label, unit: 'files', stream: stdStream(2) });
}

function globals(cmd: Command): GlobalOpts {
  return cmd.optsWithGlobals<GlobalOpts>();
}

function wrap(m: RepoModule, e: unknown): never {
  if (e instanceof m.RepositoryError || e instanceof m.MetadataError) throw new CliError(e.message);
  throw e;
}

async function openRepo(cmd: Command) {
  const m = await loadRepo();
  const { formatAlgorithmId } = await import('../verity/algorithm.js');
  const g = globals(cmd);
  const path = resolveRepoPath(g);
  let repo;
  try {
    try {
      repo = m.Repository.open(path, {});
    } catch (e) {
      if (!(e instanceof m.RepositoryError) || e.kind !== 'OldFormatRepository' || g.upgrade === false) throw e;
      repo = m.Repository.init(path, { ensure: true }).repo;
    }
    if (g.hash !== undefined && g.hash !== repo.hash) {
      const alg = formatAlgorithmId(repo.algorithm);
      repo.close();
      throw new CliError(`${path}: repository is configured for ${alg} (from meta.json) but --hash ${g.hash} was specified`);
    }
    if (g.insecure === true) repo.setInsecure();
    if (g.requireVerity === true) repo.requireVerity();
    if (g.erofsVersion !== undefined) repo.formats = m.formatConfig(Number(g.erofsVersion) as 0 | 1 | 2);
  } catch (e) {
    repo?.close();
    wrap(m, e);
  }
  return { m, repo };
}

/** A comfy-table `UTF8_FULL` table, as cfsctl prints. */
export function utf8FullTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max([...h].length, ...rows.map((r) => [...(r[i] ?? '')].length)));
  const line = (l: string, fill: string, mid: string, r: string): string => l + widths.map((w) => fill.repeat(w + 2)).join(mid) + r;
  const row = (cells: readonly string[]): string =>
    '│' + widths.map((w, i) => ` ${cells[i] ?? ''}${' '.repeat(w - [...(cells[i] ?? '')].length)} `).join('┆') + '│';
  const out = [line('┌', '─', '┬', '┐'), row(header), line('╞', '═', '╪', '╡')];
  rows.forEach((r, i) => {
    if (i > 0) out.push(line('├', '╌', '┼', '┤'));
    out.push(row(r));
  });
  out.push(line('└', '─', '┴', '┘'));
  return out;
}

async function readStdin(): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of process.stdin) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

export function repoCommand(io: Io): Command {
  const cmd = new Command('repo')
    .description('manage a composefs repository (like cfsctl)')
    .option('--repo <path>', 'repository path')
    .option('--user', 'use $HOME/.var/lib/composefs')
    .option('--system', `use ${SYSTEM_REPO_PATH}`)
    .addOption(new Option('--hash <hash>', 'expected hash (auto-detected from meta.json)').choices(['sha256', 'sha512']))
    .addOption(erofsVersionOption('EROFS format for this invocation (meta.json is not rewritten)'))
    .option('--require-verity', 'fail if the repository does not require fs-verity')
    .option('--no-upgrade', 'do not write meta.json for old-format repositories')
    .option('--insecure', 'do not require fs-verity, even if the repository does');

  cmd
    .command('init')
    .description('create a repository (meta.json)')
    .argument('[path]', 'repository path (default: the global choice)')
    .option('--algorithm <alg>', 'fs-verity algorithm', 'fsverity-sha512-12')
    .option('--insecure', 'do not enable fs-verity on meta.json (repository does not require verity)')
    .addOption(erofsVersionOption('default EROFS format (default 1)'))
    .option('--dual', 'write V1 images by default and V2 images as well ("erofs_formats": {"default": 1, "extra": [2]})')
    .option('--reset-metadata', 'delete streams/, images/ and meta.json first (objects are kept)')
    .option('--ensure', 'open as-is if initialised, create if absent, upgrade if old-format')
    .action(async (pathArg: string | undefined, o: { algorithm: string; insecure?: boolean; erofsVersion?: string; dual?: boolean; resetMetadata?: boolean; ensure?: boolean }, self: Command) => {
      const m = await loadRepo();
      const { parseAlgorithmId, formatAlgorithmId, AlgorithmParseError } = await import('../verity/algorithm.js');
      const g = globals(self);
      let algorithm;
      try {
        algorithm = parseAlgorithmId(o.algorithm);
      } catch (e) {
        if (e instanceof AlgorithmParseError) throw new CliError(`invalid value '${o.algorithm}' for '--algorithm <alg>': ${e.message}`, 2);
        throw e;
      }
      const version = Number(o.erofsVersion ?? g.erofsVersion ?? '1') as 0 | 1 | 2;
      if (o.dual === true && version !== 1) throw new CliError('--dual cannot be combined with --erofs-version other than 1', 2);
      const formats = o.dual === true ? m.formatConfig(1, [2]) : m.formatConfig(version);
      const path = pathArg ?? resolveRepoPath(g);
      const insecure = o.insecure === true || g.insecure === true;
      let res;
      try {
        res = m.Repository.init(path, {
          algorithm, formats, insecure, resetMetadata: o.resetMetadata === true, ensure: o.ensure === true,
        });
      } catch (e) {
        wrap(m, e);
      }
      try {
        if (res.created || res.upgraded) {
          io.out(`Initialized composefs repository at ${path}`);
          io.out(`  algorithm: ${formatAlgorithmId(res.repo.algorithm)}`);
          io.out(res.repo.insecure ? '  verity:    not required (insecure)' : '  verity:    required');
        } else {
          io.out(`Repository already initialized at ${path}`);
        }
      } finally {
        res.repo.close();
      }
    });

  cmd
    .command('images')
    .alias('list-images')
    .description('list named images (images/refs)')
    .option('--json', 'JSON output')
    .option('--no-trunc', 'show full digests')
    .action(async (o: { json?: boolean; trunc: boolean }, self: Command) => {
      const { m, repo } = await openRepo(self);
      try {
        const images = repo.listImages();
        if (o.json === true) {
          for (const l of JSON.stringify({ images }, null, 2).split('\n')) io.out(l);
        } else if (images.length === 0) {
          io.out('No images found');
        } else {
          const rows = images.map((i) => [i.name, o.trunc && i.digest.length > 12 ? i.digest.slice(0, 12) : i.digest]);
          for (const l of utf8FullTable(['NAME', 'DIGEST'], rows)) io.out(l);
        }
      } catch (e) {
        wrap(m, e);
      } finally {
        repo.close();
      }
    });

  cmd
    .command('image-objects')
    .description('print the objects an image references')
    .argument('<name>')
    .action(async (name: string, _o: unknown, self: Command) => {
      const { m, repo } = await openRepo(self);
      try {
        for (const hex of repo.imageObjects(name)) io.out(repo.toId(hex));
      } catch (e) {
        wrap(m, e);
      } finally {
        repo.close();
      }
    });

  cmd
    .command('import-image')
    .description('store an EROFS image read from stdin as images/refs/REF (not validated)')
    .argument('<ref>')
    .action(async (ref: string, _o: unknown, self: Command) => {
      const bytes = await readStdin();
      const { m, repo } = await openRepo(self);
      try {
        io.out(repo.toId(repo.writeImage(bytes, ref)));
      } catch (e) {
        wrap(m, e);
      } finally {
        repo.close();
      }
    });

  cmd
    .command('mount')
    .description('mount an image (digest or ref name) on a directory, verity=require when the image has fs-verity')
    .argument('<name>')
    .argument('<mountpoint>')
    .option('--upperdir <dir>', 'writable upper layer (with --workdir)')
    .option('--workdir <dir>', 'overlay work directory (with --upperdir)')
    .option('--rw', 'mount read-write (with --upperdir)')
    .action(async (name: string, mountpoint: string, o: { upperdir?: string; workdir?: string; rw?: boolean }, self: Command) => {
      if ((o.upperdir === undefined) !== (o.workdir === undefined)) throw new CliError('--upperdir and --workdir go together');
      const g = globals(self);
      const { mountFromRepository } = await import('./mount.js');
      io.err(`cfsboot repo mount: ${await mountFromRepository(resolveRepoPath(g), name, mountpoint, { ...o, ...(g.insecure === true ? { insecure: true } : {}) })}`);
    });

  cmd
    .command('gc')
    .description('remove objects no named image references')
    .option('-r, --root <name>', 'also keep this first-level image (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('-n, --dry-run', 'only report what would be removed')
    .action(async (o: { root: string[]; dryRun?: boolean }, self: Command) => {
      const { m, repo } = await openRepo(self);
      try {
        const r = m.gc(repo, { roots: o.root, dryRun: o.dryRun === true });
        for (const l of m.formatGcResult(r, o.dryRun === true)) io.out(l);
      } catch (e) {
        wrap(m, e);
      } finally {
        repo.close();
      }
    });

  cmd
    .command('fsck')
    .description('check the repository for consistency')
    .option('--json', 'JSON output (exit 0 unless the check itself fails)')
    .option('--metadata-only', 'skip verifying object contents')
    .action(async (o: { json?: boolean; metadataOnly?: boolean }, self: Command) => {
      const { m, repo } = await openRepo(self);
      let r;
      try {
        r = m.fsck(repo, { metadataOnly: o.metadataOnly === true });
      } catch (e) {
        wrap(m, e);
      } finally {
        repo.close();
      }
      if (o.json === true) {
        for (const l of JSON.stringify(m.fsckJson(r), null, 2).split('\n')) io.out(l);
        return;
      }
      for (const l of m.formatFsck(r)) io.out(l);
      if (!m.fsckOk(r)) throw new CliError(`${resolveRepoPath(globals(self))}: repository integrity check failed`);
    });

  cmd
    .command('transaction')
    .description('hold the shared repository lock (blocks gc) until interrupted')
    .action(async (_o: unknown, self: Command) => {
      const { repo } = await openRepo(self);
      await new Promise<void>((resolve) => {
        const done = (): void => {
          process.off('SIGINT', done);
          process.off('SIGTERM', done);
          resolve();
        };
        process.on('SIGINT', done);
        process.on('SIGTERM', done);
      });
      repo.close();
    });

  const fsReadOptions = (c: Command, full: boolean): Command => {
    c.argument('<path>', 'the path to the filesystem');
    if (full) {
      c.option('--bootable', 'transform the filesystem for boot (SELinux labels, empty /boot and /sysroot)');
    }
    c.option('--no-propagate-usr-to-root', "don't copy /usr metadata to root directory");
    if (full) {
      c.addOption(new Option('--xattrs <mode>', 'which extended attributes to keep').choices(['allowlist-only', 'keep-user-xattrs']).default('allowlist-only'));
    }
    return c;
  };
  interface FsOpts { bootable?: boolean; propagateUsrToRoot: boolean; xattrs?: 'allowlist-only' | 'keep-user-xattrs' }
  const loadImport = async () => import('../repository/import.js');
  /** Hash for the repository-less commands: --hash, else an existing repository's, else sha512. */
  const noRepoHash = async (g: GlobalOpts): Promise<'sha256' | 'sha512'> => {
    if (g.hash !== undefined) return g.hash;
    try {
      const m = await loadRepo();
      const repo = m.Repository.open(resolveRepoPath(g), {});
      try {
        return repo.hash as 'sha256' | 'sha512';
      } finally {
        repo.close();
      }
    } catch {
      return 'sha512';
    }
  };
  /** Import failures as one line: `PATH: SYSCALL: what (ERRNO)` for system errors. */
  const wrapImport = (imp: Awaited<ReturnType<typeof loadImport>>, e: unknown): never => {
    if (imp !== undefined && e instanceof imp.ImportError) throw new CliError(e.message);
    const err = e as { code?: unknown; message?: unknown; syscall?: unknown; path?: unknown };
    if (typeof err?.code === 'string' && typeof err.message === 'string') {
      const { code, syscall } = err;
      if (typeof syscall === 'string' && (typeof err.path === 'string' || Buffer.isBuffer(err.path))) {
        // Node: "ENOENT: no such file or directory, lstat '/p'"
        const m = new RegExp(`^${code}: (.*?), ${syscall}\\b`).exec(err.message);
        throw new CliError(`${String(err.path)}: ${syscall}: ${m?.[1] ?? err.message.split('\n')[0]} (${code})`);
      }
      throw new CliError(err.message.split('\n')[0]!);
    }
    throw e;
  };

  fsReadOptions(cmd.command('create-image').description('import a directory tree as objects and commit its image(s)'), true)
    .argument('[name]', "reference name for the image ('ref/<name>' elsewhere)")
    .action(async (path: string, name: string | undefined, o: FsOpts, self: Command) => {
      const imp = await loadImport();
      const { m, repo } = await openRepo(self);
      const progress = await progressBar('storing objects');
      try {
        const hex = await imp.createImage(repo, path, name, { propagateUsrToRoot: o.propagateUsrToRoot, bootable: o.bootable === true, ...(o.xattrs !== undefined ? { xattrs: o.xattrs } : {}), onProgress: progress.update });
        progress.finish();
        io.out(repo.toId(hex));
      } catch (e) {
        progress.finish();
        if (e instanceof m.RepositoryError || e instanceof m.MetadataError) wrap(m, e);
        wrapImport(imp, e);
      } finally {
        repo.close();
      }
    });

  fsReadOptions(cmd.command('compute-id').description('compute the image id of a directory tree (writes nothing)'), true)
    .action(async (path: string, o: FsOpts, self: Command) => {
      const g = globals(self);
      const imp = await loadImport();
      const hash = await noRepoHash(g);
      const progress = await progressBar('hashing files');
      try {
        const hex = await imp.computeId(path, { hash, version: Number(g.erofsVersion ?? '1') as 0 | 1 | 2, propagateUsrToRoot: o.propagateUsrToRoot, bootable: o.bootable === true, ...(o.xattrs !== undefined ? { xattrs: o.xattrs } : {}), onProgress: progress.update });
        progress.finish();
        io.out(hex);
      } catch (e) {
        progress.finish();
        wrapImport(imp, e);
      }
    });

  fsReadOptions(cmd.command('compute-karg').description('print the composefs kernel argument for a directory tree (always with the boot transform, as cfsctl)'), false)
    .action(async (path: string, o: FsOpts, self: Command) => {
      const g = globals(self);
      const imp = await loadImport();
      const { toCmdlineArg } = await import('../cmdline/emit.js');
      const hash = await noRepoHash(g);
      const version = Number(g.erofsVersion ?? '1') as 0 | 1 | 2;
      const progress = await progressBar('hashing files');
      try {
        const hex = await imp.computeId(path, { hash, version, propagateUsrToRoot: o.propagateUsrToRoot, bootable: true, onProgress: progress.update });
        progress.finish();
        io.out(toCmdlineArg({ version, hash, hex, insecure: g.insecure === true }));
      } catch (e) {
        progress.finish();
        wrapImport(imp, e);
      }
    });

  return cmd;
}
