/** Deterministic large dumpfile for the large-tree test and benchmarks. */
function hex(i: number, salt: number): string {
  let s = '';
  let x = (i * 2654435761 + salt * 40503) >>> 0;
  for (let k = 0; k < 8; k++) {
    x = (Math.imul(x ^ (x >>> 15), 2246822519) + k) >>> 0;
    s += x.toString(16).padStart(8, '0');
  }
  return s;
}

/** ~`target` inodes, deterministic. */
export function largeDumpfile(target: number): string {
  const lines: string[] = ['/ 4096 40755 2 0 0 0 1700000000.0 - - - security.selinux=system_u:object_r:root_t:s0'];
  const labels = ['system_u:object_r:usr_t:s0', 'system_u:object_r:bin_t:s0', 'system_u:object_r:lib_t:s0', 'system_u:object_r:etc_t:s0'];
  let n = 0;
  let firstFile: string | undefined;
  const top = ['usr', 'etc', 'var', 'opt'];
  for (const t of top) lines.push(`/${t} 4096 40755 2 0 0 0 1700000000.0 - - - security.selinux=${labels[n % 4]}`);
  lines.push('/usr/big 4096 40755 2 0 0 0 1700000000.0 - - -');
  for (let i = 0; i < 5000; i++, n++) lines.push(`/usr/big/entry-with-a-longer-name-${i} 0 100644 1 0 0 0 1700000000.0 - - -`);
  let d = 0;
  while (n < target) {
    const dir = `/${top[d % 4]}/d${d}`;
    lines.push(`${dir} 4096 40755 2 0 0 0 ${1700000000 + (d % 3)}.0 - - - security.selinux=${labels[d % 4]}`);
    n++;
    for (let s = 0; s < 3 && n < target; s++) {
      const sub = `${dir}/s${s}`;
      lines.push(`${sub} 4096 40755 2 0 0 0 1700000000.0 - - - security.selinux=${labels[(d + s) % 4]}`);
      n++;
      for (let f = 0; f < 12 && n < target; f++, n++) {
        const p = `${sub}/f${f}`;
        const label = `security.selinux=${labels[(d + f) % 4]}`;
        switch (f % 6) {
          case 0: {
            const h = hex(n, 1);
            const size = 100 + ((n * 7919) % 2000000);
            lines.push(`${p}.so ${size} 100755 1 0 0 0 1700000000.0 ${h.slice(0, 2)}/${h.slice(2)} - ${h} ${label}`);
            firstFile ??= `${p}.so`;
            break;
          }
          case 1:
          case 2: {
            const h = hex(n, 2);
            lines.push(`${p} ${65 + (n % 90000)} 100644 1 0 0 0 1700000000.0 ${h.slice(0, 2)}/${h.slice(2)} - ${h} ${label}`);
            break;
          }
          case 3:
            lines.push(`${p}.conf 24 100644 1 0 0 0 1700000000.0 - key=value\\nother=1234567\\n - ${label}`);
            break;
          case 4:
            lines.push(`${p}.lnk ${20 + (f % 7)} 120777 1 0 0 0 1700000000.0 ../../lib/target-${'x'.repeat(f % 7)}-name.so.1 - - ${label}`);
            break;
          default:
            if (n % 50 === 0 && firstFile !== undefined) lines.push(`${p} 0 @100755 2 0 0 0 1700000000.0 ${firstFile} - -`);
            else if (n % 97 === 0) lines.push(`${p} 0 20000 1 0 0 0 1700000000.0 - - -`);
            else lines.push(`${p} 0 100644 1 0 0 0 1700000000.0 - - - ${label}`);
        }
      }
    }
    d++;
  }
  return lines.join('\n') + '\n';
}

