import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Repository, fsck, gc } from '../../../src/repository/index';
import { algorithmFor } from '../../../src/verity/algorithm';
import { childEnv, childScript, tempDir } from './helpers';

function newRepoPath(): string {
  const dir = path.join(tempDir(), 'repo');
  Repository.init(dir, { algorithm: algorithmFor('sha256'), insecure: true }).repo.close();
  return dir;
}

/** Starts a child, waits for "ready", then `delayMs`, then SIGKILL. Resolves with its output. */
function runAndKill(args: string[], delayMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [childScript(), ...args], { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let armed = false;
    c.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!armed && out.includes('ready')) {
        armed = true;
        setTimeout(() => c.kill('SIGKILL'), delayMs);
      }
    });
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.on('error', reject);
    c.on('exit', (code, signal) => {
      if (signal === 'SIGKILL' || code === 0) resolve(out);
      else reject(new Error(`child exited ${code}: ${err}`));
    });
  });
}

function objectFiles(dir: string): string[] {
  const od = path.join(dir, 'objects');
  const out: string[] = [];
  for (const d of fs.readdirSync(od)) {
    if (!fs.statSync(path.join(od, d)).isDirectory()) continue;
    for (const f of fs.readdirSync(path.join(od, d))) out.push(d + f);
  }
  return out.sort();
}

describe('crash safety', () => {
  it('SIGKILL at random points (≥ 50 kills) never leaves a partial object; a re-run completes', async () => {
    const dir = newRepoPath();
    const modes = ['store', 'ensure'];
    let kills = 0;
    // a child that finishes before its kill does not count: keep going until 55 real kills
    for (let i = 0; kills < 55 && i < 400; i++) {
      const mode = modes[i % 2]!;
      const flag = i % 3 === 0 ? ['notmpfile'] : [];
      const out = await runAndKill([mode, dir, String((i * 37) % 400), '400', ...flag], Math.floor(Math.random() * (kills < i / 2 ? 40 : 120)));
      if (!out.includes('done')) kills++;
    }
    expect(kills).toBeGreaterThanOrEqual(50);
    const repo = Repository.open(dir);
    try {
      const r = fsck(repo);
      expect(r.findings).toEqual([]);
      expect(r.objects.checked).toBeGreaterThan(0);
    } finally {
      repo.close();
    }
    for (const mode of modes) {
      const r = spawnSync(process.execPath, [childScript(), mode, dir, '0', '450'], { env: childEnv(), encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.stdout).toContain('done 450');
    }
    const repo2 = Repository.open(dir);
    try {
      expect(fsck(repo2).findings).toEqual([]);
      const n = objectFiles(dir).length;
      expect(n).toBeGreaterThanOrEqual(450);
      gc(repo2, { dryRun: true });
      const tmp = fs.readdirSync(path.join(dir, 'objects')).filter((n) => n.startsWith('.tmp-object-')).length;
      const res = gc(repo2);
      expect(res.tempFilesRemoved).toBe(tmp);
      expect(res.objectsRemoved).toBe(n); // nothing is named: everything is garbage
    } finally {
      repo2.close();
    }
  }, 180_000);

  it('two concurrent writers of overlapping objects both succeed', async () => {
    for (const flag of [[], ['notmpfile']]) {
      const dir = newRepoPath();
      const run = (mode: string, from: number): Promise<{ code: number | null; out: string; err: string }> =>
        new Promise((resolve) => {
          const c = spawn(process.execPath, [childScript(), mode, dir, String(from), '150', ...flag], { env: childEnv() });
          let out = '';
          let err = '';
          c.stdout.on('data', (d: Buffer) => (out += d.toString()));
          c.stderr.on('data', (d: Buffer) => (err += d.toString()));
          c.on('exit', (code) => resolve({ code, out, err }));
        });
      const [a, b, c] = await Promise.all([run('store', 0), run('ensure', 50), run('store', 100)]);
      for (const r of [a, b, c]) {
        expect(r.err).toBe('');
        expect(r.code).toBe(0);
        expect(r.out).toContain('done 150');
      }
      expect(objectFiles(dir)).toHaveLength(250);
      const repo = Repository.open(dir);
      try {
        expect(fsck(repo).findings).toEqual([]);
      } finally {
        repo.close();
      }
    }
  }, 120_000);
});
