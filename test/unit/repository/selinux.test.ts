/**
 * --bootable: SELinux labelling (composefs-rs 0.9 selabel.rs) and the boot transform
 * (composefs-boot lib.rs). Expected labels follow upstream's rules: last matching spec wins,
 * `^(RE)T$` over path + type byte, `<<none>>` removes the label, exact-path aliases, hard links
 * broken when their labels differ.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { S_IFDIR, S_IFREG, S_IFLNK, S_IFIFO, S_IFCHR, S_IFBLK, S_IFSOCK, newNode, type Node } from '../../../src/tree/node.js';
import { Matcher, literalPrefix, translatePattern } from '../../../src/repository/selinux-matcher.js';
import { Policy, parseSelinuxConfig, selabel, treePolicySource, dirPolicySource, XATTR_SECURITY_SELINUX } from '../../../src/repository/selinux.js';
import { emptyToplevelDirs, transformForBoot } from '../../../src/repository/boot-transform.js';
import { Repository } from '../../../src/repository/index.js';
import { computeId, createImage, readFilesystem } from '../../../src/repository/import.js';
import { algorithmFor } from '../../../src/verity/algorithm.js';
import { runCli } from '../../helpers/cli.js';
import { mkdirs } from '../../helpers/tree.js';

const dirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'cfs-selinux-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const FILE_CONTEXTS = [
  '# a comment line',
  '',
  '/.*\t\tsystem_u:object_r:default_t:s0',
  '/\t\tsystem_u:object_r:root_t:s0',
  '/usr(/.*)?\t\tsystem_u:object_r:usr_t:s0',
  '/usr/bin(/.*)?\t\tsystem_u:object_r:bin_t:s0',
  '/usr/bin/[^/]*\\.sh\t--\tsystem_u:object_r:script_t:s0',
  '/usr/lib(/.*)?\t-d\tsystem_u:object_r:lib_dir_t:s0',
  '/usr/lib/.*\t-l\tsystem_u:object_r:lib_link_t:s0',
  '/usr/lib/.*\t--\tsystem_u:object_r:lib_t:s0',
  '/dev/.*\t-c\tsystem_u:object_r:tty_device_t:s0',
  '/dev/.*\t-b\tsystem_u:object_r:fixed_disk_device_t:s0',
  '/dev/.*\t-p\tsystem_u:object_r:fifo_t:s0',
  '/dev/.*\t-s\tsystem_u:object_r:sock_t:s0',
  '/tmp(/.*)?\t\t<<none>>',
  '/etc(/.*)?\t\tsystem_u:object_r:etc_t:s0',
  '/etc/shadow.*\t--\tsystem_u:object_r:shadow_t:s0',
  '/srv/(?!backup).*\t\tsystem_u:object_r:srv_public_t:s0',
  '/opt/[[:digit:]]+\t\tsystem_u:object_r:opt_num_t:s0',
  '',
].join('\n');

const HOMEDIRS = '/home/[^/]+\t-d\tunconfined_u:object_r:user_home_dir_t:s0\n';
const LOCAL = '/usr/bin/special\tsystem_u:object_r:special_t:s0\n';
const SUBS = '# aliases\n/lib /usr/lib\n\n';
const SUBS_DIST = '/lib /usr/share\n/var/run /run\n';

type Spec = { mode: number; data?: string; target?: string; xattrs?: Record<string, string> };

/** Builds an in-memory tree: path → spec ('/' separated, parents created as 0755 dirs). */
function buildTree(entries: Record<string, Spec | Node>): Node {
  const root = newNode(S_IFDIR | 0o755);
  for (const [p, s] of Object.entries(entries)) {
    const parts = p.split('/').filter((x) => x !== '');
    const d = mkdirs(root, parts.slice(0, -1));
    const name = parts[parts.length - 1]!;
    if ('xattrs' in s && s.xattrs instanceof Map) {
      d.children!.set(name, s as Node);
      continue;
    }
    const spec = s as Spec;
    const existing = d.children!.get(name);
    const node = existing !== undefined && (spec.mode & 0o170000) === S_IFDIR ? existing : newNode(spec.mode);
    if (spec.data !== undefined) {
      node.content = Buffer.from(spec.data);
      node.size = BigInt(node.content.length);
    }
    if (spec.target !== undefined) node.payload = spec.target;
    for (const [k, v] of Object.entries(spec.xattrs ?? {})) node.xattrs.set(k, Buffer.from(v));
    d.children!.set(name, node);
  }
  return root;
}

function at(root: Node, p: string): Node {
  let n = root;
  for (const c of p.split('/').filter((x) => x !== '')) {
    const next = n.children?.get(c);
    if (next === undefined) throw new Error(`${p}: no ${c}`);
    n = next;
  }
  return n;
}

/** A deep copy that keeps hard links shared and Buffers as Buffers. */
function cloneTree(n: Node, seen = new Map<Node, Node>()): Node {
  const done = seen.get(n);
  if (done !== undefined) return done;
  const { owner: _o, children, xattrs, content, ...rest } = n;
  const c: Node = { ...rest, xattrs: new Map([...xattrs].map(([k, v]) => [k, Buffer.from(v)])) };
  if (content !== undefined) c.content = Buffer.from(content);
  seen.set(n, c);
  if (children !== undefined) c.children = new Map([...children].map(([k, v]) => [k, cloneTree(v, seen)]));
  return c;
}

const label = (root: Node, p: string): string | undefined => at(root, p).xattrs.get(XATTR_SECURITY_SELINUX)?.toString();

const POLICY_FILES = (extra: Record<string, string> = {}): Record<string, Spec> => ({
  '/etc/selinux/config': { mode: S_IFREG | 0o644, data: '# SELINUXTYPE=wrong\nSELINUX=enforcing\n selinuxtype = targeted \nSELINUXTYPE=second\n' },
  '/etc/selinux/targeted/contexts/files/file_contexts': { mode: S_IFREG | 0o644, data: FILE_CONTEXTS },
  '/etc/selinux/targeted/contexts/files/file_contexts.homedirs': { mode: S_IFREG | 0o644, data: HOMEDIRS },
  '/etc/selinux/targeted/contexts/files/file_contexts.local': { mode: S_IFREG | 0o644, data: LOCAL },
  '/etc/selinux/targeted/contexts/files/file_contexts.subs': { mode: S_IFREG | 0o644, data: SUBS },
  '/etc/selinux/targeted/contexts/files/file_contexts.subs_dist': { mode: S_IFREG | 0o644, data: SUBS_DIST },
  ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, { mode: S_IFREG | 0o644, data: v }])),
});

const noContent = (): Buffer => {
  throw new Error('no external files here');
};

function sampleTree(): { root: Node; shared: Node; crossDomain: Node } {
  const shared = newNode(S_IFREG | 0o755, { content: Buffer.from('#!/bin/sh\n'), size: 10n });
  const crossDomain = newNode(S_IFREG | 0o644, { content: Buffer.from('x'), size: 1n, xattrs: new Map([['user.keep', Buffer.from('1')]]) });
  const root = buildTree({
    ...POLICY_FILES(),
    '/usr/bin/ls': { mode: S_IFREG | 0o755, data: 'ELF', xattrs: { 'security.selinux': 'host_t' } },
    '/usr/bin/run.sh': { mode: S_IFREG | 0o755, data: '#!' },
    '/usr/bin/special': { mode: S_IFREG | 0o755, data: 's' },
    '/usr/bin/a': shared,
    '/usr/bin/b': shared,
    '/usr/bin/c': crossDomain,
    '/etc/c-link': crossDomain,
    '/tmp/d-link': crossDomain,
    '/usr/lib/libx.so': { mode: S_IFLNK | 0o777, target: 'libx.so.1' },
    '/usr/lib/libx.so.1': { mode: S_IFREG | 0o644, data: 'lib' },
    '/usr/lib/sub': { mode: S_IFDIR | 0o755 },
    '/lib/mod': { mode: S_IFREG | 0o644, data: 'm' },
    '/lib/moddir/f': { mode: S_IFREG | 0o644, data: 'f' },
    '/var/run/x': { mode: S_IFREG | 0o644, data: 'r' },
    '/dev/tty0': { mode: S_IFCHR | 0o620 },
    '/dev/sda': { mode: S_IFBLK | 0o660 },
    '/dev/initctl': { mode: S_IFIFO | 0o600 },
    '/dev/log': { mode: S_IFSOCK | 0o666 },
    '/tmp/scratch': { mode: S_IFREG | 0o644, data: 't', xattrs: { 'security.selinux': 'stale_t' } },
    '/etc/shadow': { mode: S_IFREG | 0o600, data: 'root:*' },
    '/etc/shadow-': { mode: S_IFREG | 0o600, data: 'root:*' },
    '/etc/shadowdir': { mode: S_IFDIR | 0o755 },
    '/srv/website': { mode: S_IFREG | 0o644, data: 'w' },
    '/srv/backup_2024': { mode: S_IFREG | 0o644, data: 'b' },
    '/opt/123': { mode: S_IFREG | 0o644, data: 'n' },
    '/opt/12a': { mode: S_IFREG | 0o644, data: 'n' },
    '/home/alice': { mode: S_IFDIR | 0o700 },
    '/home/alice/notes': { mode: S_IFREG | 0o600, data: 'n' },
  });
  return { root, shared, crossDomain };
}

describe('SELinux file_contexts matching (composefs-rs selabel.rs)', () => {
  it('translates upstream regex syntax into byte-string RegExps', () => {
    expect(new RegExp(translatePattern('^(/a.b)-$', false)).test('/a\nb-')).toBe(true); // regex-automata: . is not NUL
    expect(new RegExp(translatePattern('^(/a.b)-$', true)).test('/a\nb-')).toBe(false); // PCRE2: . is not \n
    expect(new RegExp(translatePattern('^(/a.b)-$', false)).test('/a\rb-')).toBe(true);
    expect(new RegExp(translatePattern('^(/a\\sb).$', false)).test('/a\xa0b-')).toBe(false); // \s is ASCII
    expect(new RegExp(translatePattern('^(/x[]a]).$', false)).test('/x]-')).toBe(true);
    expect(new RegExp(translatePattern('^(/x[[:digit:]_]+).$', false)).test('/x1_2-')).toBe(true);
    // A multi-byte UTF-8 literal is one atom for a quantifier.
    const e = Buffer.from('é', 'utf8').toString('latin1');
    expect(new RegExp(translatePattern('^(/caf(é)?).$', false)).test(`/caf-`)).toBe(true);
    expect(new RegExp(translatePattern('^(/café?).$', false)).test(`/caf${e}-`)).toBe(true);
    expect(new RegExp(translatePattern('^(/café?).$', false)).test(`/caf${e[0]}-`)).toBe(false);
  });

  it('literal prefixes are conservative', () => {
    expect(literalPrefix('/usr/lib(/.*)?')).toBe('/usr/lib');
    expect(literalPrefix('/usr/lib/libfoo\\.so.*')).toBe('/usr/lib/libfoo.so');
    expect(literalPrefix('/usr/libx?')).toBe('/usr/lib');
    expect(literalPrefix('/usr/lib\\.?')).toBe('/usr/lib');
    expect(literalPrefix('/usr/lib+')).toBe('/usr/lib');
    expect(literalPrefix('/a|/b')).toBe('');
    expect(literalPrefix('(/a|/b)/c')).toBe('');
    expect(literalPrefix('/x[|]')).toBe('/x');
    expect(literalPrefix('/\\d+')).toBe('/');
  });

  it('lookaround priority interleaving (upstream hybrid_lookaround_priority vectors)', () => {
    // File order (low → high priority); upstream reverses.
    const specs: Array<[string, string]> = [
      ['/(.*)?', 'default_t'],
      ['/usr(.*)?', 'usr_t'],
      ['/usr/bin/(?!bad).*', 'bin_ok_t'],
      ['/usr/bin/good', 'bin_good_t'],
      ['/etc/(?!shadow).*', 'etc_public_t'],
      ['/etc/hostname', 'hostname_t'],
    ];
    const reversed = [...specs].reverse();
    const m = new Matcher(reversed.map(([re]) => ({ wrapped: `^(${re}).$`, user: re })));
    const get = (p: string): string | undefined => {
      const i = m.lookup(`${p}-`);
      return i === undefined ? undefined : reversed[i]![1];
    };
    expect(get('/etc/hostname')).toBe('hostname_t');
    expect(get('/etc/passwd')).toBe('etc_public_t');
    expect(get('/etc/shadow')).toBe('default_t');
    expect(get('/usr/bin/good')).toBe('bin_good_t');
    expect(get('/usr/bin/hello')).toBe('bin_ok_t');
    expect(get('/usr/bin/bad')).toBe('usr_t');
  });

  it('config: first SELINUXTYPE line (key trimmed, any case) names the policy', () => {
    expect(parseSelinuxConfig('c', Buffer.from('#SELINUXTYPE=x\n Selinuxtype = a b \nSELINUXTYPE=c\n'))).toBe('a b');
    expect(parseSelinuxConfig('c', Buffer.from('SELINUX=enforcing\n'))).toBeUndefined();
  });

  it('labels a tree: last match wins, type selectors, <<none>>, .local/.homedirs, exact aliases', () => {
    const { root } = sampleTree();
    expect(selabel(root, treePolicySource(root, noContent))).toBe(true);
    const expected: Record<string, string | undefined> = {
      '/': 'system_u:object_r:root_t:s0',
      '/usr': 'system_u:object_r:usr_t:s0',
      '/usr/bin': 'system_u:object_r:bin_t:s0',
      '/usr/bin/ls': 'system_u:object_r:bin_t:s0', // host label replaced
      '/usr/bin/run.sh': 'system_u:object_r:script_t:s0', // `--` spec after the generic one
      '/usr/bin/special': 'system_u:object_r:special_t:s0', // file_contexts.local comes after
      '/usr/lib': 'system_u:object_r:lib_dir_t:s0', // -d
      '/usr/lib/sub': 'system_u:object_r:lib_dir_t:s0',
      '/usr/lib/libx.so': 'system_u:object_r:lib_link_t:s0', // -l
      '/usr/lib/libx.so.1': 'system_u:object_r:lib_t:s0', // --
      // /lib is an alias of /usr/share (subs_dist after subs: the later pair wins), as a whole subtree
      '/lib': 'system_u:object_r:usr_t:s0',
      '/lib/mod': 'system_u:object_r:usr_t:s0',
      '/lib/moddir/f': 'system_u:object_r:usr_t:s0',
      '/var/run/x': 'system_u:object_r:default_t:s0', // /var/run → /run
      '/dev/tty0': 'system_u:object_r:tty_device_t:s0',
      '/dev/sda': 'system_u:object_r:fixed_disk_device_t:s0',
      '/dev/initctl': 'system_u:object_r:fifo_t:s0',
      '/dev/log': 'system_u:object_r:sock_t:s0',
      '/dev': 'system_u:object_r:default_t:s0', // `/dev/.*` needs a child
      '/tmp': undefined, // <<none>>
      '/tmp/scratch': undefined, // stale label removed
      '/etc/shadow': 'system_u:object_r:shadow_t:s0',
      '/etc/shadow-': 'system_u:object_r:shadow_t:s0',
      '/etc/shadowdir': 'system_u:object_r:etc_t:s0', // `--` only for regular files
      '/srv/website': 'system_u:object_r:srv_public_t:s0', // PCRE lookahead
      '/srv/backup_2024': 'system_u:object_r:default_t:s0',
      '/opt/123': 'system_u:object_r:opt_num_t:s0',
      '/opt/12a': 'system_u:object_r:default_t:s0',
      '/home/alice': 'unconfined_u:object_r:user_home_dir_t:s0', // homedirs
      '/home/alice/notes': 'system_u:object_r:default_t:s0',
      '/etc/selinux/config': 'system_u:object_r:etc_t:s0',
    };
    for (const [p, l] of Object.entries(expected)) expect([p, label(root, p)]).toEqual([p, l]);
  });

  it('hard links: shared while labels agree, broken (copied) when they differ', () => {
    const { root, shared, crossDomain } = sampleTree();
    selabel(root, treePolicySource(root, noContent));
    expect(at(root, '/usr/bin/a')).toBe(shared);
    expect(at(root, '/usr/bin/b')).toBe(shared);
    // Walk order: /etc/c-link first (labels the inode etc_t), then /tmp/d-link, then /usr/bin/c.
    expect(at(root, '/etc/c-link')).toBe(crossDomain);
    expect(label(root, '/etc/c-link')).toBe('system_u:object_r:etc_t:s0');
    const d = at(root, '/tmp/d-link');
    const c = at(root, '/usr/bin/c');
    expect(d).not.toBe(crossDomain);
    expect(c).not.toBe(crossDomain);
    expect(c).not.toBe(d);
    expect(label(root, '/tmp/d-link')).toBeUndefined();
    expect(label(root, '/usr/bin/c')).toBe('system_u:object_r:bin_t:s0');
    expect(c.xattrs.get('user.keep')?.toString()).toBe('1');
    expect(c.content).toEqual(crossDomain.content);
  });

  it('a tree without a policy is unchanged, except that security.selinux is removed', () => {
    for (const variant of ['no etc/selinux', 'no config', 'no SELINUXTYPE'] as const) {
      const files: Record<string, Spec> = {
        '/usr/bin/ls': { mode: S_IFREG | 0o755, data: 'ELF', xattrs: { 'security.capability': 'cap' } },
        '/etc/hostname': { mode: S_IFREG | 0o644, data: 'h', xattrs: { 'user.x': 'y' } },
      };
      if (variant === 'no config') files['/etc/selinux/targeted/contexts/files/file_contexts'] = { mode: S_IFREG | 0o644, data: '/.* bad_t\n' };
      if (variant === 'no SELINUXTYPE') files['/etc/selinux/config'] = { mode: S_IFREG | 0o644, data: 'SELINUX=disabled\n' };
      const root = buildTree(files);
      const before = cloneTree(root);
      expect(selabel(root, treePolicySource(root, noContent))).toBe(false);
      expect(root).toEqual(before);
      at(root, '/usr/bin/ls').xattrs.set('security.selinux', Buffer.from('host_t'));
      root.xattrs.set('security.selinux', Buffer.from('host_t'));
      selabel(root, treePolicySource(root, noContent));
      expect(root).toEqual(before);
    }
  });

  it('bad policy files: one line naming the file', () => {
    const cases: Array<[string, RegExp]> = [
      ['/usr -q y\n', /file_contexts: SELinux spec file file_contexts: 0: invalid type code -q$/],
      ['\n/usr\n', /file_contexts: SELinux spec file file_contexts: 1: missing separator after regex$/],
      ['/usr -d\n', /: 0: missing context field$/],
      ['/usr a b\n', /: 0: trailing data$/],
      ['/usr(\tctx_t\n', /cannot compile regex "\/usr\("/],
    ];
    for (const [fc, re] of cases) {
      const root = buildTree(POLICY_FILES({ '/etc/selinux/targeted/contexts/files/file_contexts': fc }));
      expect(() => selabel(root, treePolicySource(root, noContent))).toThrow(re);
    }
    const noFc = buildTree({ '/etc/selinux/config': { mode: S_IFREG | 0o644, data: 'SELINUXTYPE=targeted\n' }, '/etc/selinux/targeted/contexts/files/x': { mode: S_IFREG, data: '' } });
    expect(() => selabel(noFc, treePolicySource(noFc, noContent))).toThrow(/missing mandatory file_contexts file/);
    const noDir = buildTree({ '/etc/selinux/config': { mode: S_IFREG | 0o644, data: 'SELINUXTYPE=targeted\n' } });
    expect(() => selabel(noDir, treePolicySource(noDir, noContent))).toThrow(/Directory entry "targeted" does not exist/);
    const badUtf8 = buildTree({ '/etc/selinux/config': { mode: S_IFREG | 0o644, data: '\xff' } });
    at(badUtf8, '/etc/selinux/config').content = Buffer.from([0xff, 0x0a]);
    expect(() => selabel(badUtf8, treePolicySource(badUtf8, noContent))).toThrow(/^\/etc\/selinux\/config: stream did not contain valid UTF-8$/);
    const subs = buildTree(POLICY_FILES({ '/etc/selinux/targeted/contexts/files/file_contexts.subs': '/a\n' }));
    expect(() => selabel(subs, treePolicySource(subs, noContent))).toThrow(/file_contexts\.subs: SELinux subs file file_contexts\.subs: 0: missing original path$/);
    const lnk = buildTree({ '/etc/selinux/config': { mode: S_IFLNK | 0o777, target: 'x' } });
    expect(() => selabel(lnk, treePolicySource(lnk, noContent))).toThrow(/Directory entry "config" is not a regular file/);
  });

  it('Policy.lookup: key is path + type byte, <<none>> gives no label', () => {
    const root = buildTree(POLICY_FILES());
    const p = Policy.build(treePolicySource(root, noContent), 'targeted');
    expect(p.lookup('/usr/bin/x.sh', '-')).toBe('system_u:object_r:script_t:s0');
    expect(p.lookup('/usr/bin/x.sh', 'l')).toBe('system_u:object_r:bin_t:s0');
    expect(p.lookup('/tmp/x', '-')).toBeUndefined();
    expect(p.aliases.get('/lib')).toBe('/usr/share');
  });
});

describe('boot transform (composefs-boot transform_for_boot)', () => {
  it('empties /boot and /sysroot; they take /usr mtime seconds, keep their nanoseconds', () => {
    const root = buildTree({
      '/usr/bin/x': { mode: S_IFREG | 0o755, data: 'x' },
      '/boot/vmlinuz': { mode: S_IFREG | 0o644, data: 'k' },
      '/boot/loader/entries/a.conf': { mode: S_IFREG | 0o644, data: 'title a' },
      '/sysroot/ostree/repo': { mode: S_IFDIR | 0o755 },
      '/etc/x': { mode: S_IFREG | 0o644, data: 'e' },
    });
    at(root, '/usr').mtime = { sec: 1000n, nsec: 5 };
    at(root, '/boot').mtime = { sec: 7n, nsec: 77 };
    at(root, '/boot').mode = S_IFDIR | 0o700;
    at(root, '/sysroot').mtime = { sec: 8n, nsec: 88 };
    expect(transformForBoot(root, treePolicySource(root, noContent))).toBe(false);
    expect(at(root, '/boot').children!.size).toBe(0);
    expect(at(root, '/sysroot').children!.size).toBe(0);
    expect(at(root, '/boot').mtime).toEqual({ sec: 1000n, nsec: 77 });
    expect(at(root, '/boot').mode).toBe(S_IFDIR | 0o700);
    expect(at(root, '/sysroot').mtime).toEqual({ sec: 1000n, nsec: 88 });
    expect(at(root, '/etc/x').content?.toString()).toBe('e');
  });

  it('requires /usr, /boot and /sysroot directories', () => {
    const mk = (entries: Record<string, Spec>): Node => buildTree(entries);
    const D = { mode: S_IFDIR | 0o755 };
    expect(() => emptyToplevelDirs(mk({ '/boot': D, '/sysroot': D }))).toThrow('Directory entry "usr" does not exist');
    expect(() => emptyToplevelDirs(mk({ '/usr': D, '/sysroot': D }))).toThrow('Directory entry "boot" does not exist');
    expect(() => emptyToplevelDirs(mk({ '/usr': D, '/boot': D }))).toThrow('Directory entry "sysroot" does not exist');
    expect(() => emptyToplevelDirs(mk({ '/usr': D, '/boot': D, '/sysroot': { mode: S_IFLNK | 0o777, target: 'x' } }))).toThrow('Directory entry "sysroot" is not a subdirectory');
  });
});

describe('--bootable on disk: compute-id (policy read from the directory) = create-image (policy read from the tree)', () => {
  function diskTree(): string {
    const root = path.join(tmp(), 'root');
    const w = (p: string, data: string | Buffer): void => {
      fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
      fs.writeFileSync(path.join(root, p), data);
    };
    // file_contexts > 64 bytes: an external object that create-image reads back from the repository.
    w('etc/selinux/config', 'SELINUX=enforcing\nSELINUXTYPE=targeted\n');
    w('etc/selinux/targeted/contexts/files/file_contexts', FILE_CONTEXTS);
    w('etc/selinux/targeted/contexts/files/file_contexts.subs_dist', SUBS_DIST);
    w('usr/bin/tool', 'T'.repeat(100));
    w('usr/bin/run.sh', '#!/bin/sh\n');
    w('boot/vmlinuz', 'K'.repeat(200));
    w('sysroot/ostree/x', 'o');
    w('tmp/t', 't');
    fs.linkSync(path.join(root, 'usr/bin/tool'), path.join(root, 'etc/tool'));
    fs.utimesSync(path.join(root, 'usr'), 1, 1_700_000_000);
    return root;
  }

  for (const hash of ['sha256', 'sha512'] as const) {
    it(`same id (${hash}); labels in the image; differs from the non-bootable id`, async () => {
      const root = diskTree();
      const { repo } = Repository.init(path.join(tmp(), 'repo'), { algorithm: algorithmFor(hash), insecure: true });
      try {
        const id = await computeId(root, { hash, bootable: true });
        expect(await createImage(repo, root, 'boot', { bootable: true })).toBe(id);
        expect(await computeId(root, { hash })).not.toBe(id);
        const tree = await readFilesystem(root, { hash, bootable: true });
        expect(label(tree, '/usr/bin/tool')).toBe('system_u:object_r:bin_t:s0');
        expect(label(tree, '/etc/tool')).toBe('system_u:object_r:etc_t:s0');
        expect(at(tree, '/usr/bin/tool')).not.toBe(at(tree, '/etc/tool'));
        expect(at(tree, '/usr/bin/tool').nlink).toBe(1);
        expect(label(tree, '/usr/bin/run.sh')).toBe('system_u:object_r:script_t:s0');
        expect(at(tree, '/boot').children!.size).toBe(0);
        expect(at(tree, '/sysroot').children!.size).toBe(0);
      } finally {
        repo.close();
      }
    });
  }

  it('CLI: --bootable for create-image and compute-id; compute-karg always applies it', async () => {
    const root = diskTree();
    const repoPath = path.join(tmp(), 'repo');
    expect((await runCli('repo', 'init', '--insecure', repoPath)).code).toBe(0);
    const c = await runCli('repo', '--repo', repoPath, 'create-image', '--bootable', root, 'os');
    expect(c.code).toBe(0);
    const hex = c.out[0]!.slice('sha512:'.length);
    expect((await runCli('repo', 'compute-id', '--bootable', root)).out).toEqual([hex]);
    expect((await runCli('repo', 'compute-karg', root)).out).toEqual([`composefs.digest=v1-sha512-12:${hex}`]);
    expect((await runCli('repo', 'compute-id', root)).out[0]).not.toBe(hex);
    fs.rmSync(path.join(root, 'sysroot'), { recursive: true });
    const k = await runCli('repo', 'compute-karg', root);
    expect(k.code).toBe(1);
    expect(k.err).toEqual(['cfsboot: Directory entry "sysroot" does not exist']);
  });

  it('dirPolicySource follows the on-disk files', () => {
    const root = diskTree();
    const src = dirPolicySource(root);
    expect(src.hasEtcSelinux()).toBe(true);
    expect(src.config()?.data.toString()).toContain('SELINUXTYPE=targeted');
    expect(src.policyFile('targeted', 'file_contexts.local')).toBeUndefined();
    expect(dirPolicySource(path.join(root, 'usr')).hasEtcSelinux()).toBe(false);
  });
});
