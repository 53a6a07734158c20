/**
 * `cfsboot check`: pre-flight on a running system. Would the next boot with this command line
 * (or this UKI's) succeed? Runs the boot's own checks (karg, repository, meta.json, image digest,
 * state directories) without mounting anything, and additionally verifies that every object the
 * image references exists and carries the fs-verity digest it is named by.
 */
import * as path from 'node:path';
import { CmdlineError, parseSetupRootKargs } from '../cmdline/index.js';
import { constants, openat, close } from '../sys/index.js';
import { isSysError } from '../sys/errors.js';
import { measureVerity } from '../sys/verity.js';
import { imageObjects, ImageParseError, OBJECTS_DIR, objectPathname, readAllFd } from '../repository/index.js';
import { VERITY_ABSENT } from '../verity/kernel.js';
import { ChooseError, chooseImage } from './choose.js';
import { loadConfig, ConfigError, type SetupRootConfig } from './config.js';

export interface CheckOptions {
  cmdline: string;
  /** Where the cmdline came from, for messages. */
  cmdlineSource: string;
  /** The physical root holding composefs/ and state/. */
  sysroot: string;
  config: string;
}

export interface CheckLine {
  ok: boolean;
  /** `warn` lines do not fail the check. */
  warn?: boolean;
  text: string;
}

export interface CheckResult {
  ok: boolean;
  lines: CheckLine[];
  /** One-line verdict. */
  verdict: string;
}

export function preflight(o: CheckOptions): CheckResult {
  const lines: CheckLine[] = [];
  const okLine = (text: string): void => void lines.push({ ok: true, text });
  const warn = (text: string): void => void lines.push({ ok: true, warn: true, text });
  const failed = (text: string): CheckResult => {
    lines.push({ ok: false, text });
    return { ok: false, lines, verdict: `the next boot would FAIL: ${text}` };
  };

  let config: SetupRootConfig;
  try {
    const c = loadConfig(o.config);
    config = c.config;
    okLine(`configuration ${c.found ? o.config : `${o.config} absent: defaults`} (etc=${config.etc}, var=${config.var}, root transient=${config.root.transient})`);
  } catch (e) {
    return failed(e instanceof ConfigError ? e.message : `reading ${o.config}: ${(e as Error).message}`);
  }

  let kargs;
  try {
    kargs = parseSetupRootKargs(o.cmdline);
  } catch (e) {
    return failed(`${o.cmdlineSource}: ${e instanceof CmdlineError ? e.chain.join(': ') : (e as Error).message}`);
  }
  okLine(`${o.cmdlineSource}: ${kargs.length} composefs karg(s): ${kargs.map((k) => `${k.insecure ? '?' : ''}${k.hex.slice(0, 16)}…`).join(', ')}`);

  let chosen;
  try {
    chosen = chooseImage(kargs, o.sysroot, (r) => {
      if (r.outcome === 'not-found') warn(`image ${r.karg.hex} not found (${r.detail}); the boot would try the next karg`);
    });
  } catch (e) {
    return failed(e instanceof ChooseError ? e.message : (e as Error).message);
  }
  const { karg, repo, imageFd, imagePath } = chosen;
  try {
    okLine(`repository ${path.join(o.sysroot, 'composefs')}: ${repo.metaVerity ? 'meta.json carries fs-verity' : 'meta.json WITHOUT fs-verity (insecure karg)'}`);
    okLine(chosen.verity
      ? `image ${imagePath}: fs-verity digest equals the karg (mount with verity=require)`
      : `image ${imagePath}: no fs-verity, content digest equals the karg (insecure karg: mounted without verity=require)`);

    // the objects the image references
    let digests: string[];
    try {
      digests = imageObjects(readAllFd(imageFd), repo.hash);
    } catch (e) {
      return failed(`${imagePath}: ${e instanceof ImageParseError ? `invalid image: ${e.message}` : (e as Error).message}`);
    }
    let missing = 0;
    let noVerity = 0;
    let wrong = 0;
    const examples: string[] = [];
    for (const hex of digests) {
      const rel = `${OBJECTS_DIR}/${objectPathname(hex)}`;
      let fd: number;
      try {
        fd = openat(repo.fd, rel, constants.O_RDONLY | constants.O_NOFOLLOW);
      } catch (e) {
        if (!isSysError(e, ['ENOENT', 'ENOTDIR'])) return failed(`${path.join(repo.path, rel)}: ${(e as Error).message}`);
        missing++;
        if (examples.length < 3) examples.push(`missing ${path.join(repo.path, rel)}`);
        continue;
      }
      try {
        const m = measureVerity(fd);
        if (m.algorithm !== repo.hash || m.digest.toString('hex') !== hex) {
          wrong++;
          if (examples.length < 3) examples.push(`${path.join(repo.path, rel)} has fs-verity ${m.algorithm}:${m.digest.toString('hex')}`);
        }
      } catch (e) {
        if (!isSysError(e, VERITY_ABSENT)) return failed(`measuring ${path.join(repo.path, rel)}: ${(e as Error).message}`);
        noVerity++;
        if (!karg.insecure && examples.length < 3) examples.push(`${path.join(repo.path, rel)} has no fs-verity`);
      } finally {
        close(fd);
      }
    }
    if (missing > 0 || wrong > 0 || (noVerity > 0 && !karg.insecure)) {
      return failed(`${digests.length} objects referenced: ${missing} missing, ${wrong} with a different fs-verity digest, ${noVerity} without fs-verity (e.g. ${examples.join('; ')})`);
    }
    if (noVerity > 0) warn(`${noVerity} of ${digests.length} objects have no fs-verity (allowed by the insecure karg; their content is not checked at boot)`);
    else okLine(`${digests.length} objects referenced by the image: all present with fs-verity equal to their names`);

    // state
    const statePath = path.join(o.sysroot, 'state/deploy', karg.hex);
    try {
      close(openat(constants.AT_FDCWD, statePath, constants.O_PATH | constants.O_DIRECTORY));
    } catch (e) {
      return failed(`state directory ${statePath}: ${(e as Error).message}`);
    }
    for (const d of ['etc', 'var'] as const) {
      if (config[d] !== 'bind' && config[d] !== 'overlay') continue;
      try {
        close(openat(constants.AT_FDCWD, path.join(statePath, d), constants.O_PATH | constants.O_DIRECTORY));
      } catch (e) {
        return failed(`${path.join(statePath, d)} (needed for the ${config[d]} mount of /${d}): ${(e as Error).message}`);
      }
    }
    okLine(`state directory ${statePath}${config.etc === 'overlay' || config.etc === 'bind' ? ` with etc/` : ''}${config.var === 'overlay' || config.var === 'bind' ? ' and var/' : ''}`);
    return { ok: true, lines, verdict: `the next boot would succeed: composefs:${karg.hex}${chosen.verity ? ' with verity=require' : ' WITHOUT verity (insecure karg)'}` };
  } finally {
    close(imageFd);
    repo.close();
  }
}
