/** Runs `cfsboot <args>` in-process (bundled by the test, executed inside a mount namespace). */
import { buildProgram, runProgram } from '../../../src/cli/program';
import { processIo } from '../../../src/cli/io';

void runProgram(buildProgram(processIo), process.argv.slice(2), processIo, 'cfsboot').then((code) => {
  process.exitCode = code;
});
