import { buildProgram, runProgram } from '../../src/cli/program.js';

/** Runs `cfsboot ARGS…` in-process; returns the exit status and the captured lines. */
export async function runCli(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
  const code = await runProgram(buildProgram(io), args, io, 'cfsboot');
  return { code, out, err };
}
