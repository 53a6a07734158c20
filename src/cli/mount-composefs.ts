/**
 * `mount.composefs` drop-in (C composefs 1.0.8): `mount.composefs [-t composefs] [-o OPTS] IMAGE
 * MOUNTPOINT`, options `basedir=P[:P…]` (required), `digest=HEX` (measure the image, require
 * verity), `verity`, `tryverity`, `idmap=USERNS`, `upperdir=`/`workdir=` (both or neither),
 * `ro`/`rw`; anything else is an error. Options are parsed as C does (`\` escapes, first `=`
 * splits key and value, the last `-o` wins). Every failure is one line and exit status 1.
 */
import { Command } from 'commander';
import { CliError } from './errors.js';
import type { Io } from './io.js';

export interface MountComposefsArgs {
  image: string;
  mountpoint: string;
  basedirs: string[];
  digest?: string;
  verity: boolean;
  tryverity: boolean;
  upperdir?: string;
  workdir?: string;
  idmap?: string;
  readOnly: boolean;
}

/** Usage text, as C prints it (with our program name). */
export function usage(bin: string): string {
  return [
    `usage: ${bin} [-t type] [-o opt[,opts..]] IMAGE MOUNTPOINT`,
    'Example:',
    `  ${bin} -o basedir=/composefs/objects exampleimage.cfs /mnt/exampleimage`,
    'or following appropriate mount(8) conventions:',
    '  mount -t composefs -o basedir=/composefs/objects exampleimage.cfs /mnt/exampleimage',
    '',
    'Supported options:',
    '  basedir=PATH[:PATH]    Specify location of basedir(s)',
    '  digest=DIGEST          Specify the expected digest (sha256 or sha512 hex)',
    '  idmap=PATH             Specify path to a user namespace whose ID mapping should be used',
    '  verity                 Require all files to have specified and valid fs-verity digests',
    '  tryverity              If supported by kernel, require fs-verity',
    '  upperdir               Overlayfs upperdir',
    '  workdir                Overlayfs workdir',
    '  ro                     Read only',
    '  rw                     Read/write',
  ].join('\n');
}

function unescape(s: string): string {
  return s.replace(/\\(.)/gs, '$1').replace(/\\$/, '');
}

/** Splits `-o` text into key/value pairs the way C's parse_option does. */
export function parseMountOptions(text: string): Array<{ key: string; value: string | undefined }> {
  const out: Array<{ key: string; value: string | undefined }> = [];
  let rest: string | undefined = text;
  while (rest !== undefined) {
    let i = 0;
    let eq = -1;
    for (; i < rest.length; i++) {
      const ch = rest[i];
      if (ch === '=' && eq < 0) eq = i;
      else if (ch === '\\' && i + 1 < rest.length) i++;
      else if (ch === ',') break;
    }
    const item = rest.slice(0, i);
    rest = i < rest.length ? rest.slice(i + 1) : undefined;
    if (eq >= 0 && eq < i) out.push({ key: item.slice(0, eq), value: unescape(item.slice(eq + 1)) });
    else out.push({ key: item, value: undefined });
  }
  return out;
}

/** getopt("ht:o:") with GNU argument permutation. */
export function parseMountComposefsArgv(argv: readonly string[], bin: string): MountComposefsArgs | 'help' {
  const positional: string[] = [];
  let options: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) throw new CliError(`unrecognized option '${a}' (usage: ${bin} [-t type] [-o opt[,opts..]] IMAGE MOUNTPOINT)`);
    if (!a.startsWith('-') || a === '-') {
      positional.push(a);
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const f = a[j]!;
      if (f === 'h') return 'help';
      if (f === 't' || f === 'o') {
        let value = a.slice(j + 1);
        if (value === '') {
          if (i + 1 >= argv.length) throw new CliError(`option requires an argument -- '${f}'`);
          value = argv[++i]!;
        }
        if (f === 't' && value !== 'composefs') throw new CliError(`Unsupported fs type '${value}'`);
        if (f === 'o') options = value;
        break;
      }
      throw new CliError(`invalid option -- '${f}' (usage: ${bin} [-t type] [-o opt[,opts..]] IMAGE MOUNTPOINT)`);
    }
  }
  if (positional.length < 1) throw new CliError(`No source path specified (usage: ${bin} [-t type] [-o opt[,opts..]] IMAGE MOUNTPOINT)`);
  if (positional.length < 2) throw new CliError(`No mount path specified (usage: ${bin} [-t type] [-o opt[,opts..]] IMAGE MOUNTPOINT)`);
  const r: MountComposefsArgs = { image: positional[0]!, mountpoint: positional[1]!, basedirs: [], verity: false, tryverity: false, readOnly: false };
  let basedir: string | undefined;
  for (const { key, value } of options !== undefined ? parseMountOptions(options) : []) {
    const need = (): string => {
      if (value === undefined) throw new CliError(`No value specified for ${key} option`);
      return value;
    };
    switch (key) {
      case 'basedir': basedir = need(); break;
      case 'digest': r.digest = need(); break;
      case 'verity': r.verity = true; break;
      case 'tryverity': r.tryverity = true; break;
      case 'upperdir': r.upperdir = need(); break;
      case 'workdir': r.workdir = need(); break;
      case 'idmap': r.idmap = need(); break;
      case 'rw': r.readOnly = false; break;
      case 'ro': r.readOnly = true; break;
      default: throw new CliError(`Unsupported option ${key}`);
    }
  }
  if (basedir !== undefined) {
    const parts = basedir.split(':');
    // C counts ':'-separated fields and fails when strtok finds fewer non-empty ones
    if (parts.filter((p) => p !== '').length < parts.length) throw new CliError('Value for basedir option has incorrect format');
    r.basedirs = parts;
  }
  if (r.basedirs.length === 0) throw new CliError('No object dirs specified (use -o basedir=PATH)');
  if ((r.upperdir === undefined) !== (r.workdir === undefined)) throw new CliError('Both workdir and upperdir must be specified if used');
  return r;
}

export function mountComposefsCommand(name: string, io: Io, bin: string): Command {
  return new Command(name)
    .description('mount a composefs image (drop-in for mount.composefs)')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .action(async (args: string[]) => {
      const parsed = parseMountComposefsArgv(args, bin);
      if (parsed === 'help') {
        io.out(usage(bin));
        return;
      }
      const { expectedDigestFromHex, mountByPath, ImageVerityError } = await import('../mount/index.js');
      const fs = await import('node:fs');
      let imageFd: number;
      try {
        imageFd = fs.openSync(parsed.image, fs.constants.O_RDONLY);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        const { strerror } = await import('../sys/errors.js');
        throw new CliError(`Failed to open ${parsed.image}: ${typeof err.errno === 'number' ? strerror(-err.errno) : err.message}`);
      }
      let expectedDigest;
      if (parsed.digest !== undefined) {
        expectedDigest = expectedDigestFromHex(parsed.digest);
        if (expectedDigest === undefined) {
          throw new CliError(`Failed to mount composefs ${parsed.image}: invalid digest '${parsed.digest}' (64 hex digits for sha256, 128 for sha512)`);
        }
      }
      try {
        mountByPath({
          image: imageFd,
          imageLabel: parsed.image,
          basedirs: parsed.basedirs,
          ...(expectedDigest !== undefined ? { expectedDigest } : {}),
          verity: parsed.verity ? 'require' : parsed.tryverity ? 'try' : 'off',
          ...(parsed.upperdir !== undefined ? { upperdir: parsed.upperdir } : {}),
          ...(parsed.workdir !== undefined ? { workdir: parsed.workdir } : {}),
          ...(parsed.idmap !== undefined ? { idmap: parsed.idmap } : {}),
          readOnly: parsed.readOnly,
          source: 'composefs',
          mountpoint: parsed.mountpoint,
        });
      } catch (e) {
        if (e instanceof ImageVerityError) throw new CliError(`Failed to mount composefs ${parsed.image}: ${e.message}`);
        throw new CliError(`Failed to mount composefs ${parsed.image}: ${(e as Error).message}`);
      } finally {
        fs.closeSync(imageFd);
      }
    });
}
