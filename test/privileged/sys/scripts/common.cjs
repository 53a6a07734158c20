'use strict';
// Shared helpers for scripts run by test/privileged/sys/*.test.ts inside
// `unshare -m --propagation private`. argv: <addon.node> <workdir> [...].
const fs = require('node:fs');

const addon = require(process.argv[2]);
const work = process.argv[3];
const C = addon.constants;

/** Plain-object copy of a system call error. */
function errInfo(e) {
  if (!(e instanceof Error)) return { notAnError: String(e) };
  const { code, errno, syscall, path, dest, fd } = e;
  return { message: e.message, code, errno, syscall, path, dest, fd };
}

/** Runs fn and returns errInfo of what it throws, or null if it does not. */
function catchErr(fn) {
  try {
    fn();
    return null;
  } catch (e) {
    return errInfo(e);
  }
}

/** Mounts (this namespace) whose mount point lies under `dir`. */
function mountsUnder(dir) {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const f = line.split(' ');
      const sep = f.indexOf('-');
      return { mountPoint: f[4], options: f[5], fstype: f[sep + 1], source: f[sep + 2] };
    })
    .filter((m) => m.mountPoint === dir || m.mountPoint.startsWith(dir + '/'));
}

/** Prints fn()'s result as JSON; failures become {fatal}. */
function run(fn) {
  let out;
  try {
    out = fn();
  } catch (e) {
    out = { fatal: errInfo(e), stack: e && e.stack };
    process.exitCode = 1;
  }
  process.stdout.write(JSON.stringify(out));
}

module.exports = { addon, work, C, errInfo, catchErr, mountsUnder, run };
