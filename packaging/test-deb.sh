#!/usr/bin/env bash
# Installs the Debian package on this machine, checks it, purges it, and
# checks that nothing is left: the install test of tests/run.sh.
#
#   packaging/test-deb.sh path/to/evpnd_<version>_<arch>.deb
#
# While installed: evpnd --check-config on the shipped configuration,
# evpnctl --version, systemd-analyze verify on the installed unit (with its
# man pages), the evpnd user, the configuration's owner and mode, the man
# pages and the bash completion. After dpkg --purge: no file of the package,
# no /etc/evpnd or /run/evpnd, no evpnd user or group, no dpkg record.
set -euo pipefail
deb=${1:?usage: $0 PACKAGE.deb}
fail() { echo "test-deb: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "needs root (dpkg -i)"

# A package left by an interrupted run would hide what this one does.
if dpkg -s evpnd >/dev/null 2>&1; then
    dpkg --purge evpnd >/dev/null
fi
files=$(dpkg-deb --fsys-tarfile "$deb" | tar -t | sed 's#^\./#/#' | grep -v '/$')

dpkg -i "$deb"
trap 'dpkg --purge evpnd >/dev/null 2>&1 || true' EXIT

/usr/sbin/evpnd --check-config -c /etc/evpnd/fabric.toml
version=$(evpnctl --version)
[ "$version" = "evpnctl $(dpkg-query -W -f '${Version}' evpnd)" ] || fail "evpnctl --version says '$version'"
echo "$version"
# The unit as installed, man pages included (Documentation=man:...).
said=$(systemd-analyze verify /lib/systemd/system/evpnd.service 2>&1) || fail "systemd-analyze verify: $said"
[ -z "$said" ] || fail "systemd-analyze verify: $said"
getent passwd evpnd >/dev/null || fail "no evpnd user"
[ "$(stat -c '%U:%G %a' /etc/evpnd/fabric.toml)" = "root:evpnd 640" ] ||
    fail "/etc/evpnd/fabric.toml is $(stat -c '%U:%G %a' /etc/evpnd/fabric.toml)"
man -w evpnd >/dev/null && man -w evpnctl-route-add >/dev/null || fail "man pages not found"
bash -c 'source /usr/share/bash-completion/completions/evpnctl && complete -p evpnctl' >/dev/null ||
    fail "the bash completion does not load"

dpkg --purge evpnd
trap - EXIT
left=()
for f in $files /etc/evpnd /run/evpnd /etc/systemd/system/multi-user.target.wants/evpnd.service; do
    [ -e "$f" ] && left+=("$f")
done
ls /var/lib/dpkg/info/evpnd.* >/dev/null 2>&1 && left+=(/var/lib/dpkg/info/evpnd.*)
getent passwd evpnd >/dev/null && left+=("user evpnd")
getent group evpnd >/dev/null && left+=("group evpnd")
dpkg -s evpnd >/dev/null 2>&1 && left+=("dpkg still knows evpnd")
[ ${#left[@]} -eq 0 ] || fail "left after purge: ${left[*]}"
echo "test-deb: installed, checked and purged cleanly ($(echo "$files" | wc -l) files)"
