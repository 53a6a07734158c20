/**
 * Entry of the bundled single executable: hands the embedded addon bytes to the loader, then
 * runs the CLI. In a single executable `process.argv` is [exe, exe, ...args]; under
 * `node dist/cfsboot.cjs` it is [node, script, ...args]: both have the arguments from index 2.
 */
import { setEmbeddedAddon } from './sys/addon.js';
import { main } from './main.js';

// esbuild's `binary` loader turns the .node file into its bytes; `require` keeps the decoding lazy.
setEmbeddedAddon(() => require('../native/build/Release/cfsboot.node') as Uint8Array);

// A reader that goes away early (`… | head`) ends us quietly, as SIGPIPE ends a C tool; Node
// ignores SIGPIPE, so exit with the status a shell reports for it (128 + 13).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(141);
    throw e;
  });
}
main(process.argv.slice(2), process.argv0, process.argv[1]).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`cfsboot: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 70;
  },
);
