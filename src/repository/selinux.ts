/**
 * SELinux labelling of an in-memory tree from the tree's own policy, exactly as composefs-rs 0.9
 * does it for `--bootable` (crates/composefs-boot/src/selabel.rs `selabel`, `selabel_from_dir`).
 *
 *  1. No `etc/selinux` directory, no `etc/selinux/config`, or a config without `SELINUXTYPE=` →
 *     no policy: every `security.selinux` xattr is REMOVED from the tree (build-host labels must not
 *     leak) and nothing else changes.
 *  2. `config`: the first line whose part before `=`, trimmed, is `SELINUXTYPE` (any case) gives
 *     the policy name (the part after `=`, trimmed).
 *  3. Spec files `etc/selinux/<type>/contexts/files/file_contexts` (mandatory), then
 *     `file_contexts.local`, then `file_contexts.homedirs` (optional), concatenated in that order;
 *     lines: blank or first word starting with `#` skipped, else `REGEX [-T] CONTEXT` split on
 *     whitespace (anything more is an error). Substitutions `file_contexts.subs` then
 *     `file_contexts.subs_dist`: `ALIAS ORIGINAL` pairs (a later pair for the same alias wins).
 *     The compiled `.bin` files are not read.
 *  4. Matching: src/repository/selinux-matcher.ts (the last spec that matches wins). A context
 *     `<<none>>`, or no match, removes `security.selinux`; otherwise it is set to the context's
 *     bytes (no trailing NUL).
 *  5. Walk: the root is labelled as `/` (type `d`); entries in name order, depth first. A path is
 *     first replaced by its alias when it EQUALS an alias (exact match, no prefix rule); a
 *     directory's children are named below the replaced path, so aliases apply to whole subtrees.
 *  6. Hard links: the first entry (in walk order) that reaches an inode labels it; a later entry
 *     whose label differs gets its own copy of the inode (the hard link is broken); one whose
 *     label is equal keeps sharing it.
 *
 * Two ways to read the policy, as upstream: `dirPolicySource` reads the files below the on-disk
 * root (symlinks followed; what `compute-id`/`compute-karg` do), `treePolicySource` reads them from
 * the tree itself (regular files only; external contents from the repository; what `create-image`
 * does).
 */
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { S_IFMT, S_IFREG, S_IFIFO, S_IFSOCK, S_IFLNK, S_IFBLK, S_IFCHR, forEachInode, isDir, isRegular, sortedEntries, type ByteString, type Node } from '../tree/node.js';
import { Matcher, PatternError } from './selinux-matcher.js';
import { ImportError } from './import-error.js';

export const XATTR_SECURITY_SELINUX = 'security.selinux';
const NONE = '<<none>>';

/** Errors are ImportErrors: one line naming the policy file. */
const SelinuxError = ImportError;

/** Where the policy files come from; every method names its file in errors. */
export interface PolicySource {
  /** false when the tree has no `etc/selinux` directory (→ no policy). */
  hasEtcSelinux(): boolean;
  /** `etc/selinux/config`, or undefined when absent. */
  config(): { path: string; data: Buffer } | undefined;
  /** `etc/selinux/<policy>/contexts/files/<name>`, or undefined when absent. */
  policyFile(policy: string, name: string): { path: string; data: Buffer } | undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Rust `BufRead::lines()`: split on `\n`, drop one trailing `\r`; invalid UTF-8 is an error. */
function lines(path: string, data: Buffer): string[] {
  let text: string;
  try {
    text = utf8.decode(data);
  } catch {
    throw new SelinuxError(`${path}: stream did not contain valid UTF-8`);
  }
  const out = text.split('\n');
  if (out[out.length - 1] === '') out.pop();
  return out.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

const words = (line: string): string[] => line.split(/\s+/u).filter((w) => w !== '');

/** Rule 2. */
export function parseSelinuxConfig(path: string, data: Buffer): string | undefined {
  for (const line of lines(path, data)) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    if (/^selinuxtype$/i.test(line.slice(0, eq).trim())) return line.slice(eq + 1).trim();
  }
  return undefined;
}

interface Spec {
  wrapped: string;
  user: string;
  context: string;
}

const TYPE_CODES = ['b', 'c', 'd', 'p', 'l', 's', '-'];

/**
 * Calls `record` for every line of a spec or substitution file that is not blank or a comment,
 * with its whitespace-separated words and a `fail` that names the file and the line (0-based,
 * as upstream prints it).
 */
function forEachRecord(path: string, data: Buffer, kind: string, record: (parts: string[], fail: (what: string) => never) => void): void {
  lines(path, data).forEach((line, nr) => {
    const parts = words(line);
    if (parts.length === 0 || parts[0]!.startsWith('#')) return;
    record(parts, (what) => {
      throw new SelinuxError(`${path}: SELinux ${kind} file ${nodePath.basename(path)}: ${nr}: ${what}`);
    });
  });
}

/** Rule 3, spec files. */
export function parseSpecFile(path: string, data: Buffer, into: Spec[]): void {
  forEachRecord(path, data, 'spec', (parts, fail) => {
    const regex = parts[0]!;
    const next = parts[1];
    if (next === undefined) fail('missing separator after regex');
    let rest = 2;
    if (next!.startsWith('-')) {
      const ifmt = next!.slice(1);
      if (!TYPE_CODES.includes(ifmt)) fail(`invalid type code -${ifmt}`);
      const context = parts[2];
      if (context === undefined) fail('missing context field');
      into.push({ wrapped: `^(${regex})${ifmt}$`, user: regex, context: context! });
      rest = 3;
    } else {
      into.push({ wrapped: `^(${regex}).$`, user: regex, context: next! });
    }
    if (parts.length > rest) fail('trailing data');
  });
}

/** Rule 3, substitution files. */
export function parseSubsFile(path: string, data: Buffer, into: Map<ByteString, ByteString>): void {
  const bytes = (s: string): ByteString => Buffer.from(s, 'utf8').toString('latin1');
  forEachRecord(path, data, 'subs', (parts, fail) => {
    const original = parts[1];
    if (original === undefined) fail('missing original path');
    if (parts.length > 2) fail('trailing data');
    into.set(bytes(parts[0]!), bytes(original!));
  });
}

/** A compiled policy: aliases, matcher and contexts (index 0 = highest priority). */
export class Policy {
  private constructor(
    readonly aliases: Map<ByteString, ByteString>,
    private readonly matcher: Matcher,
    private readonly contexts: string[],
  ) {}

  static build(source: PolicySource, policy: string): Policy {
    const specs: Spec[] = [];
    for (const suffix of ['', '.local', '.homedirs']) {
      const f = source.policyFile(policy, `file_contexts${suffix}`);
      if (f !== undefined) parseSpecFile(f.path, f.data, specs);
      else if (suffix === '') throw new SelinuxError(`policy ${JSON.stringify(policy)}: SELinux policy is missing mandatory file_contexts file`);
    }
    const aliases = new Map<ByteString, ByteString>();
    for (const suffix of ['.subs', '.subs_dist']) {
      const f = source.policyFile(policy, `file_contexts${suffix}`);
      if (f !== undefined) parseSubsFile(f.path, f.data, aliases);
    }
    specs.reverse();
    let matcher: Matcher;
    try {
      matcher = new Matcher(specs);
    } catch (e) {
      if (e instanceof PatternError) throw new SelinuxError(`policy ${JSON.stringify(policy)}: ${e.message}`);
      throw e;
    }
    return new Policy(aliases, matcher, specs.map((s) => s.context));
  }

  /** The context for `path` (byte string) of file type `ifmt`, or undefined (none / `<<none>>`). */
  lookup(path: ByteString, ifmt: string): string | undefined {
    const i = this.matcher.lookup(path + ifmt);
    if (i === undefined) return undefined;
    const ctx = this.contexts[i]!;
    return ctx === NONE ? undefined : ctx;
  }
}

/** Rules 1–2: the policy named by the tree, or undefined when it names none. */
export function loadPolicy(source: PolicySource): Policy | undefined {
  if (!source.hasEtcSelinux()) return undefined;
  const config = source.config();
  if (config === undefined) return undefined;
  const name = parseSelinuxConfig(config.path, config.data);
  if (name === undefined) return undefined;
  return Policy.build(source, name);
}

function typeChar(n: Node): string {
  switch (n.mode & S_IFMT) {
    case S_IFREG: return '-';
    case S_IFIFO: return 'p';
    case S_IFSOCK: return 's';
    case S_IFLNK: return 'l';
    case S_IFBLK: return 'b';
    case S_IFCHR: return 'c';
    default: return 'd';
  }
}

function setLabel(n: Node, label: string | undefined): void {
  if (label === undefined) n.xattrs.delete(XATTR_SECURITY_SELINUX);
  else n.xattrs.set(XATTR_SECURITY_SELINUX, Buffer.from(label, 'utf8'));
}

/** Removes every `security.selinux` xattr (each inode once). */
export function stripSelinuxLabels(root: Node): void {
  forEachInode(root, (n) => n.xattrs.delete(XATTR_SECURITY_SELINUX));
}

/** Rules 5–6. */
export function relabelTree(root: Node, policy: Policy): void {
  const labeled = new Map<Node, string | undefined>();
  const relabelDir = (dir: Node, path: ByteString): void => {
    setLabel(dir, policy.lookup(path, 'd'));
    for (const [name, child] of sortedEntries(dir)) {
      const full = path === '/' ? `/${name}` : `${path}/${name}`;
      const effective = policy.aliases.get(full) ?? full;
      if (isDir(child)) {
        relabelDir(child, effective);
        continue;
      }
      const label = policy.lookup(effective, typeChar(child));
      let target = child;
      if (labeled.has(child) && labeled.get(child) !== label) {
        const { owner: _owner, ...rest } = child;
        target = { ...rest, xattrs: new Map(child.xattrs) };
        dir.children!.set(name, target);
      }
      setLabel(target, label);
      if (!labeled.has(target)) labeled.set(target, label);
    }
  };
  relabelDir(root, '/');
}

/**
 * `selabel`: labels the tree from its policy, or strips all labels when it has none.
 * Returns true when a policy was applied.
 */
export function selabel(root: Node, source: PolicySource): boolean {
  const policy = loadPolicy(source);
  if (policy === undefined) {
    stripSelinuxLabels(root);
    return false;
  }
  relabelTree(root, policy);
  return true;
}

function readOpt(path: string): { path: string; data: Buffer } | undefined {
  try {
    return { path, data: fs.readFileSync(path) };
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ENOENT') return undefined;
    throw new SelinuxError(`${path}: ${(e as Error).message.replace(/\s*\n[\s\S]*$/, '')}`);
  }
}

/** `selabel_from_dir`: policy files read below the on-disk root `rootPath`. */
export function dirPolicySource(rootPath: string): PolicySource {
  const etc = nodePath.join(rootPath, 'etc/selinux');
  // openat(dirfd, rel): an absolute `rel` ignores dirfd.
  const under = (rel: string): string => (rel.startsWith('/') ? rel : nodePath.join(etc, rel));
  return {
    hasEtcSelinux(): boolean {
      try {
        if (fs.statSync(etc).isDirectory()) return true;
      } catch (e) {
        if ((e as { code?: unknown }).code === 'ENOENT') return false;
        throw new SelinuxError(`${etc}: ${(e as Error).message}`);
      }
      throw new SelinuxError(`${etc}: not a directory (ENOTDIR)`);
    },
    config: () => readOpt(under('config')),
    policyFile: (policy, name) => readOpt(under(`${policy}/contexts/files/${name}`)),
  };
}

/** Upstream `Path::components()` of a relative lookup path, refusing `.`/`..` as upstream does. */
function components(p: string): string[] {
  const parts = p.split('/');
  const out: string[] = [];
  parts.forEach((c, i) => {
    if (c === '' || (c === '.' && i > 0)) return;
    if (c === '.' || c === '..') throw new SelinuxError(`Invalid filename ${JSON.stringify(p)}`);
    out.push(c);
  });
  return out;
}

/**
 * `selabel` with a repository: policy files read from the tree (`etc/selinux/config` and the
 * spec files must be regular files); `content(node)` returns an external file's bytes.
 */
export function treePolicySource(root: Node, content: (n: Node) => Buffer): PolicySource {
  const dirOpt = (from: Node, p: string): Node | undefined => {
    let d = from;
    for (const c of components(p)) {
      const e = d.children!.get(Buffer.from(c, 'utf8').toString('latin1'));
      if (e === undefined) return undefined;
      if (!isDir(e)) throw new SelinuxError(`Directory entry ${JSON.stringify(c)} is not a subdirectory`);
      d = e;
    }
    return d;
  };
  const dir = (from: Node, p: string): Node => {
    const d = dirOpt(from, p);
    if (d === undefined) throw new SelinuxError(`Directory entry ${JSON.stringify(p)} does not exist`);
    return d;
  };
  const file = (d: Node, name: string, shown: string): { path: string; data: Buffer } | undefined => {
    const e = d.children!.get(Buffer.from(name, 'utf8').toString('latin1'));
    if (e === undefined) return undefined;
    if (isDir(e)) throw new SelinuxError(`${shown}: Directory entry ${JSON.stringify(name)} is a directory`);
    if (!isRegular(e)) throw new SelinuxError(`${shown}: Directory entry ${JSON.stringify(name)} is not a regular file`);
    return { path: shown, data: e.digest !== undefined ? content(e) : (e.content ?? Buffer.alloc(0)) };
  };
  const etc = (): Node | undefined => dirOpt(root, 'etc/selinux');
  return {
    hasEtcSelinux: () => etc() !== undefined,
    config: () => file(etc()!, 'config', '/etc/selinux/config'),
    policyFile: (policy, name) => {
      const d = dir(dir(etc()!, policy), 'contexts/files');
      return file(d, name, `/etc/selinux/${policy}/contexts/files/${name}`);
    },
  };
}
