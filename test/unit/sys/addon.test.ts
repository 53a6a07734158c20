import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

type AddonModule = typeof import('../../../src/sys/addon');

const EMBED_BASES = [...new Set(['/run', '/dev/shm', '/tmp', os.tmpdir()])];

function leftovers(): string[] {
  return EMBED_BASES.flatMap((base) => {
    try {
      return fs
        .readdirSync(base)
        .filter((n) => n.startsWith('.cfsboot-addon-'))
        .map((n) => path.join(base, n));
    } catch {
      return [];
    }
  });
}

async function freshAddonModule(): Promise<AddonModule> {
  vi.resetModules();
  return import('../../../src/sys/addon');
}

describe('addon loader', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('finds the built addon on disk', async () => {
    const m = await freshAddonModule();
    const file = m.findAddonFile();
    expect(file.endsWith(path.join('native', 'build', 'Release', 'cfsboot.node'))).toBe(true);
    expect(m.addon()).toBe(m.addon());
    expect(m.addon().errnoName(2)).toBe('ENOENT');
  });

  it('loads embedded bytes and leaves nothing behind', async () => {
    const bytes = fs.readFileSync((await freshAddonModule()).findAddonFile());
    const before = leftovers();
    const m = await freshAddonModule();
    m.setEmbeddedAddon(new Uint8Array(bytes));
    expect(m.addon().errnoName(17)).toBe('EEXIST');
    expect(leftovers()).toEqual(before);
    expect(() => m.setEmbeddedAddon(new Uint8Array(bytes))).toThrow(/already loaded/);
  });

  it('reports every directory when embedded bytes are not loadable', async () => {
    const before = leftovers();
    const m = await freshAddonModule();
    m.setEmbeddedAddon(new TextEncoder().encode('not an ELF file'));
    expect(() => m.addon()).toThrow(/cannot load embedded cfsboot native addon: \/run: .*\/dev\/shm: /);
    expect(leftovers()).toEqual(before);
  });

  it('CFSBOOT_ADDON overrides the path; failures name it', async () => {
    const missing = path.join(os.tmpdir(), 'no-such-dir', 'cfsboot.node');
    vi.stubEnv('CFSBOOT_ADDON', missing);
    const m = await freshAddonModule();
    expect(m.findAddonFile()).toBe(missing);
    expect(() => m.addon()).toThrow(`cannot load cfsboot native addon from ${missing}`);
  });
});
