import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '../..');
export const EXE = path.join(REPO, 'dist/cfsboot');
export const exeExists = fs.existsSync(EXE);
export const SKIP_NO_EXE = `dist/cfsboot not built (run \`npm run build\`)`;

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the executable (or a link to it) with an empty environment unless one is given. */
export function runExe(args: string[], opts: SpawnSyncOptions & { exe?: string } = {}): Run {
  const r = spawnSync(opts.exe ?? EXE, args, { encoding: 'utf8', env: {}, cwd: '/', ...opts });
  if (r.error) throw r.error;
  return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}
