/**
 * The setup-root configuration file (boot.md §3.2), with composefs-rs 0.9's keys and defaults:
 *
 *   [root] transient = bool                                     (default false)
 *   [etc]  mount = "none"|"bind"|"overlay"|"transient"          (default overlay)
 *          transient = bool   (used only when `mount` is absent: true ⇒ transient)
 *   [var]  same                                                 (default bind)
 *
 * A missing file means all defaults; any other read error, a TOML error, a value of the wrong
 * type or an unknown mount type is fatal. Unknown keys and sections are ignored.
 */
import * as fs from 'node:fs';
import { parse } from 'smol-toml';

export const DEFAULT_CONFIG_PATH = '/usr/lib/composefs/setup-root-conf.toml';

export const MOUNT_TYPES = ['none', 'bind', 'overlay', 'transient'] as const;
export type MountType = (typeof MOUNT_TYPES)[number];

export interface SetupRootConfig {
  root: { transient: boolean };
  etc: MountType;
  var: MountType;
}

export const DEFAULT_CONFIG: SetupRootConfig = { root: { transient: false }, etc: 'overlay', var: 'bind' };

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Table = Record<string, unknown>;

function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function table(doc: Table, key: string, file: string): Table {
  const v = doc[key];
  if (v === undefined) return {};
  if (!isTable(v)) throw new ConfigError(`${file}: [${key}] must be a table`);
  return v;
}

function bool(t: Table, section: string, key: string, file: string): boolean | undefined {
  const v = t[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw new ConfigError(`${file}: ${section}.${key} must be true or false, not ${JSON.stringify(v)}`);
  return v;
}

function mountType(t: Table, section: 'etc' | 'var', file: string): MountType {
  const v = t['mount'];
  if (v !== undefined) {
    if (typeof v !== 'string' || !(MOUNT_TYPES as readonly string[]).includes(v)) {
      throw new ConfigError(`${file}: ${section}.mount: unknown variant ${JSON.stringify(v)}, expected one of ${MOUNT_TYPES.map((m) => `"${m}"`).join(', ')}`);
    }
    return v as MountType;
  }
  if (bool(t, section, 'transient', file) === true) return 'transient';
  return DEFAULT_CONFIG[section];
}

/** Parses configuration text; `file` names it in errors. */
export function parseConfig(text: string, file: string): SetupRootConfig {
  let doc: Table;
  try {
    doc = parse(text) as Table;
  } catch (e) {
    const msg = ((e as Error).message ?? String(e)).split('\n')[0];
    throw new ConfigError(`${file}: invalid TOML: ${msg}`);
  }
  const root = table(doc, 'root', file);
  const etc = table(doc, 'etc', file);
  const vr = table(doc, 'var', file);
  return {
    root: { transient: bool(root, 'root', 'transient', file) ?? false },
    etc: mountType(etc, 'etc', file),
    var: mountType(vr, 'var', file),
  };
}

/** Reads the file; ENOENT means defaults. */
export function loadConfig(file: string = DEFAULT_CONFIG_PATH): { config: SetupRootConfig; found: boolean } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { config: structuredClone(DEFAULT_CONFIG), found: false };
    throw new ConfigError(`${file}: cannot read the configuration: ${(e as Error).message}`);
  }
  return { config: parseConfig(text, file), found: true };
}
