#!/usr/bin/env node
/*
 * Runs inside `unshare -m --propagation private` (or `unshare -Umr`): executes the steps of a plan
 * (JSON file, argv[2]) in order and prints one JSON object { results: { <name>: … } } on stdout.
 * Plain CommonJS so that it runs with the Node that runs vitest, without a build.
 *
 * Steps ({ op, name, … }):
 *   sh        { cmd }                  bash -c CMD → { status, stdout, stderr }
 *   exe       { args, env?, exe? }     runs the executable → { status, stdout, stderr, ms }
 *   mountinfo { under? }               /proc/self/mountinfo: { raw, mounts: [...] } (mounts at or below `under`)
 *   tree      { path, skip? }          path → { type, mode, size, sha256, target, ino, nlink } per entry
 *   read      { path }                 { ok, text } or { ok: false, code }
 *   write     { path, text }           { ok } or { ok: false, code }
 *   stat      { path }                 { ok, mode, uid, gid, ino, dev } or { ok: false, code }
 *   list      { path }                 { ok, names } (sorted) or { ok: false, code }
 * A step with `must: true` aborts the plan when it fails (status ≠ 0 / ok false): { fatal }.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const plan = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const results = {};

function unescapeField(s) {
  return s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
}

function parseMountinfo(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    out.push({
      id: Number(f[0]),
      parent: Number(f[1]),
      dev: f[2],
      root: unescapeField(f[3]),
      mountPoint: unescapeField(f[4]),
      mountOptions: f[5].split(','),
      fstype: f[sep + 1],
      source: unescapeField(f[sep + 2]),
      superOptions: unescapeField(f.slice(sep + 3).join(' ')).split(','),
    });
  }
  return out;
}

function under(mp, dir) {
  return mp === dir || mp.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}

function walk(root, skip) {
  const entries = {};
  const visit = (rel) => {
    const p = rel === '' ? root : path.join(root, rel);
    const st = fs.lstatSync(p);
    const e = { mode: (st.mode & 0o7777).toString(8), uid: st.uid, gid: st.gid, ino: st.ino, nlink: st.nlink };
    if (st.isDirectory()) {
      e.type = 'd';
      entries[rel === '' ? '.' : rel] = e;
      if (rel !== '' && skip.includes(rel)) return;
      for (const name of fs.readdirSync(p).sort()) visit(rel === '' ? name : path.join(rel, name));
      return;
    }
    if (st.isSymbolicLink()) {
      e.type = 'l';
      e.target = fs.readlinkSync(p);
    } else if (st.isFile()) {
      e.type = 'f';
      e.size = st.size;
      try {
        e.sha256 = crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex');
      } catch (err) {
        e.readError = err.code ?? String(err);
      }
    } else {
      e.type = 'o';
    }
    entries[rel] = e;
  };
  visit('');
  return entries;
}

function errCode(e) {
  return e && e.code ? e.code : String(e);
}

for (const step of plan.steps) {
  let r;
  switch (step.op) {
    case 'sh': {
      const p = spawnSync('bash', ['-c', step.cmd], { encoding: 'utf8', env: { ...process.env, ...(step.env ?? {}) } });
      r = { status: p.status, stdout: p.stdout, stderr: p.stderr };
      r.ok = p.status === 0;
      break;
    }
    case 'exe': {
      const t0 = process.hrtime.bigint();
      const p = spawnSync(step.exe ?? plan.exe, step.args, { encoding: 'utf8', env: step.env ?? {}, cwd: '/' });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      r = { status: p.status, signal: p.signal, stdout: p.stdout, stderr: p.stderr, ms, error: p.error ? String(p.error) : undefined };
      r.ok = p.status === 0;
      break;
    }
    case 'mountinfo': {
      const raw = fs.readFileSync('/proc/self/mountinfo', 'latin1');
      const all = parseMountinfo(raw);
      r = { ok: true, raw, mounts: step.under ? all.filter((m) => under(m.mountPoint, step.under)) : all };
      break;
    }
    case 'tree':
      try {
        r = { ok: true, entries: walk(step.path, step.skip ?? []) };
      } catch (e) {
        r = { ok: false, code: errCode(e) };
      }
      break;
    case 'read':
      try {
        r = { ok: true, text: fs.readFileSync(step.path, 'utf8') };
      } catch (e) {
        r = { ok: false, code: errCode(e) };
      }
      break;
    case 'write':
      try {
        fs.writeFileSync(step.path, step.text);
        r = { ok: true };
      } catch (e) {
        r = { ok: false, code: errCode(e) };
      }
      break;
    case 'stat':
      try {
        const st = fs.statSync(step.path);
        r = { ok: true, mode: (st.mode & 0o7777).toString(8), uid: st.uid, gid: st.gid, ino: st.ino, dev: st.dev };
      } catch (e) {
        r = { ok: false, code: errCode(e) };
      }
      break;
    case 'list':
      try {
        r = { ok: true, names: fs.readdirSync(step.path).sort() };
      } catch (e) {
        r = { ok: false, code: errCode(e) };
      }
      break;
    default:
      r = { ok: false, code: `unknown op ${step.op}` };
  }
  results[step.name] = r;
  if (step.must && !r.ok) {
    process.stdout.write(JSON.stringify({ results, fatal: `step ${step.name} failed: ${JSON.stringify(r)}` }));
    process.exit(0);
  }
}
process.stdout.write(JSON.stringify({ results }));
