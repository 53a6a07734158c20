#!/bin/bash
# dracut module 37cfsboot: the cfsboot composefs boot helper in a systemd initramfs.
#
# Installs the cfsboot executable as /usr/bin/cfsboot with the multi-call link
# /usr/bin/composefs-setup-root, the unit cfsboot-setup-root.service (wanted by
# initrd-root-fs.target), the erofs, overlay and loop kernel modules, and the host's
# /usr/lib/composefs/setup-root-conf.toml when it exists.
#
# Included only when asked (add_dracutmodules+=" cfsboot " or --add cfsboot), or automatically
# when the host itself booted from composefs: /proc/cmdline carries a composefs= or
# composefs.digest= argument, or / is mounted with a source starting with "composefs:".
#
# The executable is taken from, in order: $CFSBOOT_BINARY, <sysroot>/usr/bin/cfsboot,
# <moddir>/cfsboot.

# cfsboot_proc: /proc, overridable for tests
cfsboot_proc() { echo "${CFSBOOT_DRACUT_PROC:-/proc}"; }

# The executable to install (path on the build host), or nothing.
cfsboot_binary() {
    local c
    for c in "${CFSBOOT_BINARY-}" "${dracutsysrootdir-}/usr/bin/cfsboot" "${moddir-}/cfsboot"; do
        if [[ -n $c && -f $c && -x $c ]]; then
            echo "$c"
            return 0
        fi
    done
    return 1
}

# 0 when the running system booted from composefs.
cfsboot_host_uses_composefs() {
    local proc w
    proc=$(cfsboot_proc)
    if [[ -r $proc/cmdline ]]; then
        for w in $(< "$proc/cmdline"); do
            case $w in
                composefs=* | composefs.digest=*) return 0 ;;
            esac
        done
    fi
    # mountinfo: field 5 is the mount point; the source follows the " - FSTYPE " separator
    [[ -r $proc/self/mountinfo ]] \
        && awk '$5 == "/" { for (i = 6; i <= NF; i++) if ($i == "-") { if ($(i + 2) ~ /^(transient:)?composefs[:=]/) found = 1; break } }
               END { exit !found }' "$proc/self/mountinfo"
}

# called by dracut
check() {
    if ! cfsboot_binary > /dev/null; then
        dwarn "cfsboot: executable not found (set CFSBOOT_BINARY, or install it as /usr/bin/cfsboot)"
        return 1
    fi
    cfsboot_host_uses_composefs && return 0
    # Only when asked for (add_dracutmodules+=" cfsboot ").
    return 255
}

# called by dracut
depends() {
    echo systemd
    return 0
}

# called by dracut
installkernel() {
    hostonly='' instmods erofs overlay loop
}

# called by dracut
install() {
    local exe
    exe=$(cfsboot_binary) || {
        derror "cfsboot: executable not found"
        return 1
    }
    inst "$exe" /usr/bin/cfsboot || return 1
    ln_r /usr/bin/cfsboot /usr/bin/composefs-setup-root
    inst_simple "$moddir/cfsboot-setup-root.service" "$systemdsystemunitdir/cfsboot-setup-root.service" || return 1
    # The wants link goes next to the unit (not under systemdsystemconfdir, which some
    # distributions leave empty).
    mkdir -p "$initdir$systemdsystemunitdir/initrd-root-fs.target.wants"
    ln_r "$systemdsystemunitdir/cfsboot-setup-root.service" \
        "$systemdsystemunitdir/initrd-root-fs.target.wants/cfsboot-setup-root.service"
    if [[ -f ${dracutsysrootdir-}/usr/lib/composefs/setup-root-conf.toml ]]; then
        inst_simple /usr/lib/composefs/setup-root-conf.toml
    fi
    # The executable is a Node.js single executable application: its payload lives in an ELF
    # note that `strip` destroys (the stripped file crashes). dracut strips every executable
    # after the modules are installed, so stripping is turned off for this initramfs.
    if [[ ${do_strip-} == yes ]]; then
        dinfo "cfsboot: not stripping binaries (stripping breaks the cfsboot executable)"
        do_strip=no
    fi
    return 0
}
