/** esbuild's `binary` loader turns an imported .node file into its bytes. */
declare module '*.node' {
  const bytes: Uint8Array;
  export default bytes;
}

/** Replaced at bundle time by esbuild's `define`. */
declare const CFSBOOT_VERSION: string | undefined;
