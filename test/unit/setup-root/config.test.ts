import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CONFIG, loadConfig, parseConfig } from '../../../src/setup-root/config.js';

const F = '/x/conf.toml';

describe('setup-root configuration (composefs-rs 0.9 keys and defaults)', () => {
  it('empty file: defaults etc=overlay, var=bind, root not transient', () => {
    expect(parseConfig('', F)).toEqual(DEFAULT_CONFIG);
    expect(DEFAULT_CONFIG).toEqual({ root: { transient: false }, etc: 'overlay', var: 'bind' });
  });

  it('mount= wins over transient=; transient=true alone means transient', () => {
    expect(parseConfig('[etc]\nmount = "bind"\ntransient = true\n[var]\ntransient = true\n', F)).toEqual({ root: { transient: false }, etc: 'bind', var: 'transient' });
    expect(parseConfig('[etc]\ntransient = false\n', F).etc).toBe('overlay');
  });

  it.each(['none', 'bind', 'overlay', 'transient'] as const)('accepts mount = "%s" for etc and var', (m) => {
    const c = parseConfig(`[etc]\nmount = "${m}"\n[var]\nmount = "${m}"\n`, F);
    expect(c.etc).toBe(m);
    expect(c.var).toBe(m);
  });

  it('[root] transient', () => {
    expect(parseConfig('[root]\ntransient = true\n', F).root.transient).toBe(true);
  });

  it('ignores unknown keys and sections', () => {
    expect(parseConfig('[root]\nfoo = 1\n[other]\nx = "y"\n[etc]\nbar = true\n', F)).toEqual(DEFAULT_CONFIG);
  });

  it.each([
    ['[etc]\nmount = "volatile"\n', /etc\.mount: unknown variant "volatile"/],
    ['[var]\nmount = 3\n', /var\.mount: unknown variant 3/],
    ['[root]\ntransient = "yes"\n', /root\.transient must be true or false/],
    ['[etc]\ntransient = 1\n', /etc\.transient must be true or false/],
    ['etc = "overlay"\n', /\[etc\] must be a table/],
    ['[etc\nmount = "bind"\n', /invalid TOML/],
  ])('refuses %j with one line naming the file', (text, re) => {
    let err: unknown;
    try {
      parseConfig(text, F);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(re);
    expect((err as Error).message.startsWith(`${F}: `)).toBe(true);
    expect((err as Error).message).not.toContain('\n');
  });

  it('a missing file means defaults; an unreadable path is an error', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfsboot-conf-'));
    try {
      expect(loadConfig(path.join(dir, 'nope.toml'))).toEqual({ config: DEFAULT_CONFIG, found: false });
      expect(() => loadConfig(dir)).toThrow(ConfigError);
      fs.writeFileSync(path.join(dir, 'c.toml'), '[var]\nmount = "none"\n');
      expect(loadConfig(path.join(dir, 'c.toml'))).toEqual({ config: { ...DEFAULT_CONFIG, var: 'none' }, found: true });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
