/** Process entry: picks the drop-in tool from the invoked name, else runs `cfsboot`. */
import { processIo, type Io } from './cli/io.js';
import { invokedTool } from './cli/multicall.js';
import { buildProgram, runDropIn, runProgram } from './cli/program.js';

export async function main(args: string[], argv0: string, script: string | undefined, io: Io = processIo): Promise<number> {
  const tool = invokedTool(argv0, script);
  if (tool !== undefined) return runDropIn(tool, args, io);
  return runProgram(buildProgram(io, args), args, io, 'cfsboot');
}
