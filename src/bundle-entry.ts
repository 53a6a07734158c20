/**
 * Entry of the bundled single executable: hands the embedded addon bytes to the loader, then
 * runs the CLI. In a single executable `process.argv` is [exe, exe, ...args]; under
 * `node dist/cfsboot.cjs` it is [node, script, ...args]: both have the arguments from index 2.
 * Output goes straight to fds 1 and 2 (src/cli/io.ts); Node's stdout/stderr streams are created
 * only by the writers that need them (stdStream), which also handle EPIPE.
 */
import { setEmbeddedAddon } from './sys/addon.js';
import { main } from './main.js';
import { writeFd } from './cli/io.js';

// esbuild's `binary` loader turns the .node file into its bytes; `require` keeps the decoding lazy.
setEmbeddedAddon(() => require('../native/build/Release/cfsboot.node') as Uint8Array);

main(process.argv.slice(2), process.argv0, process.argv[1]).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    writeFd(2, `cfsboot: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 70;
  },
);
