#!/usr/bin/env bash
# Builds the Debian package evpnd_<version>_<arch>.deb with dpkg-deb: the
# daemon and evpnctl, the systemd unit, a default /etc/evpnd/fabric.toml,
# man pages generated from the clap definitions (evpnd --man, evpnctl
# manpages), shell completions (bash, zsh, fish) and the operator docs.
#
#   packaging/build-deb.sh [--debug] [--no-build] [--out DIR]
#
# Default: a release build (cargo build --release). --debug packages the
# debug binaries instead (what tests/run.sh does: cargo test has built them
# already); --no-build uses the binaries as they are. The binaries are
# stripped of debug info in the package either way. Prints the .deb's path.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

profile=release
build=1
out="${CARGO_TARGET_DIR:-$root/target}/debian"
while [ $# -gt 0 ]; do
    case "$1" in
        --debug) profile=debug ;;
        --release) profile=release ;;
        --no-build) build=0 ;;
        --out) out=$2; shift ;;
        *) echo "usage: $0 [--debug|--release] [--no-build] [--out DIR]" >&2; exit 2 ;;
    esac
    shift
done

bins="${CARGO_TARGET_DIR:-$root/target}/$profile"
if [ "$build" = 1 ]; then
    flag=()
    [ "$profile" = release ] && flag=(--release)
    cargo build --locked "${flag[@]}" -p evpnd -p evpnctl >&2
fi
for b in evpnd evpnctl; do
    [ -x "$bins/$b" ] || { echo "build-deb: $bins/$b missing (build it, or drop --no-build)" >&2; exit 1; }
done

version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)
arch=$(dpkg --print-architecture)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
pkg="$stage/evpnd"

install -D -m 0755 "$bins/evpnd" "$pkg/usr/sbin/evpnd"
install -D -m 0755 "$bins/evpnctl" "$pkg/usr/bin/evpnctl"
strip --strip-unneeded "$pkg/usr/sbin/evpnd" "$pkg/usr/bin/evpnctl"
install -D -m 0644 packaging/evpnd.service "$pkg/lib/systemd/system/evpnd.service"
install -D -m 0640 packaging/fabric.toml "$pkg/etc/evpnd/fabric.toml"

# Man pages, from the binaries' own clap definitions.
install -d "$pkg/usr/share/man/man8" "$pkg/usr/share/man/man1"
"$bins/evpnd" --man | gzip -9n > "$pkg/usr/share/man/man8/evpnd.8.gz"
"$bins/evpnctl" manpages "$stage/man1"
for page in "$stage"/man1/*.1; do
    gzip -9n < "$page" > "$pkg/usr/share/man/man1/$(basename "$page").gz"
done

# Completions where each shell looks for packaged ones.
install -d "$pkg/usr/share/bash-completion/completions" \
    "$pkg/usr/share/zsh/vendor-completions" "$pkg/usr/share/fish/vendor_completions.d"
"$bins/evpnctl" completions bash > "$pkg/usr/share/bash-completion/completions/evpnctl"
"$bins/evpnctl" completions zsh > "$pkg/usr/share/zsh/vendor-completions/_evpnctl"
"$bins/evpnctl" completions fish > "$pkg/usr/share/fish/vendor_completions.d/evpnctl.fish"

doc="$pkg/usr/share/doc/evpnd"
install -d "$doc"
install -m 0644 packaging/debian/copyright "$doc/copyright"
for d in operations configuration evpnctl api; do
    install -m 0644 "docs/$d.md" "$doc/$d.md"
done
install -m 0644 config/*.toml -t "$(install -d "$doc/examples" && echo "$doc/examples")"

# Shared-library dependencies, as dpkg-shlibdeps reads them off the binaries.
install -d "$stage/src/debian"
printf 'Source: evpnd\n\nPackage: evpnd\nArchitecture: any\n' > "$stage/src/debian/control"
shlibs=$(cd "$stage/src" && dpkg-shlibdeps -O "$pkg/usr/sbin/evpnd" "$pkg/usr/bin/evpnctl" 2>/dev/null |
    sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || { echo "build-deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

install -d "$pkg/DEBIAN"
install -m 0755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm "$pkg/DEBIAN/"
echo /etc/evpnd/fabric.toml > "$pkg/DEBIAN/conffiles"
cat > "$pkg/DEBIAN/control" <<CONTROL
Package: evpnd
Version: $version
Architecture: $arch
Maintainer: evpnd developers <evpnd@example.invalid>
Installed-Size: $(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
Depends: $shlibs, passwd
Section: net
Priority: optional
Homepage: https://example.invalid/evpnd
Description: BGP EVPN control-plane daemon for Linux VXLAN fabrics
 evpnd speaks BGP with the L2VPN/EVPN family (route types 2, 3 and 5),
 programs the Linux VXLAN FDB, neighbour tables and routes over netlink, and
 answers a gRPC management API; evpnctl is its command-line tool.
 .
 The systemd unit (Type=notify, watchdog) is installed but not enabled:
 edit /etc/evpnd/fabric.toml, then systemctl enable --now evpnd.
CONTROL
(cd "$pkg" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z |
    xargs -0 md5sum) > "$pkg/DEBIAN/md5sums"

mkdir -p "$out"
deb="$out/evpnd_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz -z1 --build "$pkg" "$deb" >&2
echo "$deb"
