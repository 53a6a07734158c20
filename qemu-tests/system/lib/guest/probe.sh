#!/bin/bash
# Guest side of qemu-tests/system: one `CFSBOOT-RESULT <key> <value>` line per fact, then
# CFSBOOT-PROBE-DONE. Run by cfsboot-probe.service after local-fs.target.
export LC_ALL=C NO_COLOR=1
r() { local k=$1; shift; printf 'CFSBOOT-RESULT %s %s\n' "$k" "$*"; }
lines() { local k=$1 l; while IFS= read -r l; do r "$k" "$l"; done; }
r kernel "$(uname -r)"
r cmdline "$(cat /proc/cmdline)"
for m in / /sysroot /etc /var; do
  line=$(findmnt -n -o SOURCE,FSTYPE,OPTIONS --mountpoint "$m" 2>/dev/null | tail -n 1)
  r "mount:$m" "${line:-none}"
done
findmnt -rn -o TARGET,SOURCE,FSTYPE | lines mounts
r root-writable "$(touch /.cfsboot-probe 2>/dev/null && { rm -f /.cfsboot-probe; echo yes; } || echo no)"
r usr-writable "$(touch /usr/.cfsboot-probe 2>/dev/null && { rm -f /usr/.cfsboot-probe; echo yes; } || echo no)"
r sysroot-ls "$(ls -A /sysroot 2>/dev/null | sort | paste -sd' ')"
r sysroot-writable "$(touch /sysroot/.cfsboot-probe 2>/dev/null && { rm -f /sysroot/.cfsboot-probe; echo yes; } || echo no)"
boot=$(cat /proc/sys/kernel/random/boot_id)
r boot-id "$boot"
# persistence: what the previous boot wrote, then this boot's id
r etc-previous "$(cat /etc/cfsboot-probe 2>/dev/null || echo none)"
r var-previous "$(cat /var/lib/cfsboot-probe 2>/dev/null || echo none)"
r etc-write "$(echo "$boot" > /etc/cfsboot-probe 2>/dev/null && sync /etc/cfsboot-probe && echo ok || echo failed)"
r var-write "$(mkdir -p /var/lib && echo "$boot" > /var/lib/cfsboot-probe 2>/dev/null && sync /var/lib/cfsboot-probe && echo ok || echo failed)"
# timing: initrd start -> switch-root (systemd's own timestamps, microseconds, monotonic clock)
t=$(systemctl show -P InitRDTimestampMonotonic 2>/dev/null)
u=$(systemctl show -P UserspaceTimestampMonotonic 2>/dev/null)
r initrd-usec "$t"
r userspace-usec "$u"
[[ $t =~ ^[0-9]+$ && $u =~ ^[0-9]+$ && $t -gt 0 ]] && r initrd-duration-usec "$((u - t))"
r setup-root-unit "$(systemctl show -P ActiveState cfsboot-setup-root.service 2>/dev/null)"
journalctl -b -o short-monotonic --no-pager -u cfsboot-setup-root.service 2>/dev/null | lines setup-root-journal
journalctl -b -o short-monotonic --no-pager -t cfsboot 2>/dev/null | tail -n 20 | lines cfsboot-journal
if command -v cfsboot >/dev/null; then
  cfsboot status 2>&1 | lines status
  r status-exit "${PIPESTATUS[0]}"
  r status-json "$( { tr -d '\n' < /run/cfsboot/status.json; } 2>/dev/null || echo none)"
fi
# overlay verity=require: a file whose object was replaced fails to read (EIO)
canary=$(cat /usr/share/cfsboot-test/canary 2>&1 >/dev/null)
r canary-read "${canary:-ok}"
journalctl -b -k --no-pager -o cat 2>/dev/null | grep -iE 'overlayfs|verity' | tail -n 5 | lines kernel-verity
r failed-units "$(systemctl list-units --failed --no-legend --plain 2>/dev/null | awk '{print $1}' | paste -sd' ')"
echo CFSBOOT-PROBE-DONE
