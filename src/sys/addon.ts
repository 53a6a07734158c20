/**
 * The only module that loads the native addon (native/build/Release/cfsboot.node).
 *
 * Resolution order:
 *  1. bytes given to setEmbeddedAddon() (single-executable bundle): written
 *     to a private temp directory, dlopen()ed, then removed again;
 *  2. $CFSBOOT_ADDON;
 *  3. native/build/Release/cfsboot.node found by walking up from this
 *     module's directory, then from the current working directory.
 * The addon is loaded lazily on first use and cached.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NativeAddon } from './native';

const RELATIVE_ADDON = path.join('native', 'build', 'Release', 'cfsboot.node');
const EMBED_DIRS = ['/run', '/dev/shm', '/tmp'];

/** node:os, loaded only when the addon is (it is not needed for commands without syscalls). */
const os = (): typeof import('node:os') => process.getBuiltinModule('node:os');

let cached: NativeAddon | undefined;
let embedded: Uint8Array | (() => Uint8Array) | undefined;

/**
 * Registers the addon's bytes, or a function returning them (so the single executable decodes
 * them only when a command first needs a system call); must be called before the first use.
 */
export function setEmbeddedAddon(bytes: Uint8Array | (() => Uint8Array)): void {
  if (cached !== undefined) {
    throw new Error('cfsboot native addon is already loaded; call setEmbeddedAddon() before any system call');
  }
  embedded = bytes;
}

/** Returns the loaded addon, loading it on first use. */
export function addon(): NativeAddon {
  cached ??= embedded !== undefined ? loadEmbedded(typeof embedded === 'function' ? embedded() : embedded) : loadFile(findAddonFile());
  return cached;
}

/** Path of the on-disk addon that addon() would load when nothing is embedded. */
export function findAddonFile(): string {
  const override = process.env['CFSBOOT_ADDON'];
  if (override !== undefined && override !== '') return path.resolve(override);
  const starts = [typeof __dirname === 'string' ? __dirname : undefined, process.cwd()];
  for (const start of starts) {
    if (start === undefined) continue;
    for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
      const candidate = path.join(dir, RELATIVE_ADDON);
      if (fs.existsSync(candidate)) return candidate;
      if (path.dirname(dir) === dir) break;
    }
  }
  throw new Error(
    `cfsboot native addon not found: no ${RELATIVE_ADDON} above ${starts.filter(Boolean).join(' or ')}; ` +
      'run `npm run build:addon` or set CFSBOOT_ADDON',
  );
}

function dlopen(file: string): NativeAddon {
  const mod: { exports: Partial<NativeAddon> } = { exports: {} };
  process.dlopen(mod, file, os().constants.dlopen.RTLD_NOW);
  if (typeof mod.exports.openat !== 'function' || typeof mod.exports.constants !== 'object') {
    throw new Error('the library does not look like the cfsboot addon');
  }
  return mod.exports as NativeAddon;
}

function loadFile(file: string): NativeAddon {
  try {
    return dlopen(file);
  } catch (e) {
    throw new Error(`cannot load cfsboot native addon from ${file}: ${describe(e)}`);
  }
}

function loadEmbedded(bytes: Uint8Array): NativeAddon {
  const reasons: string[] = [];
  for (const base of [...new Set([...EMBED_DIRS, os().tmpdir()])]) {
    let dir: string | undefined;
    try {
      dir = fs.mkdtempSync(path.join(base, '.cfsboot-addon-'));
      fs.chmodSync(dir, 0o700);
      const file = path.join(dir, 'cfsboot.node');
      try {
        fs.writeFileSync(file, bytes, { mode: 0o500, flag: 'wx' });
        return dlopen(file);
      } finally {
        fs.rmSync(file, { force: true });
      }
    } catch (e) {
      reasons.push(`${base}: ${describe(e)}`);
    } finally {
      if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  throw new Error(`cannot load embedded cfsboot native addon: ${reasons.join('; ')}`);
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
