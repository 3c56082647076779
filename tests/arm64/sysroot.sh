#!/usr/bin/env bash
# Makes what the arm64 tests need to run the firmware as a Raspberry Pi would, on this x64 machine:
# Debian's qemu-user-static (installed if missing), and an arm64 sysroot of the native libraries the
# firmware loads (libc, libstdc++, zlib, OpenSSL for TLS, ICU, libsodium for NSec, libgpiod for
# System.Device.Gpio), unpacked from Debian's own arm64 packages. Nothing arm64 is installed: the
# packages are downloaded with a private package list (the machine's architectures are not
# changed) and only unpacked. The sysroot is cached and made again only when this list changes.
#
# Usage: tests/arm64/sysroot.sh [folder]   (prints the sysroot's path; QEMU_LD_PREFIX points at it)
# The folder defaults to $APPLIANCE_ARM64_SYSROOT, else ${XDG_CACHE_HOME:-~/.cache}/appliance-suite/arm64-sysroot.
set -euo pipefail

packages=(libc6 libstdc++6 libgcc-s1 zlib1g libssl3 libicu72 libsodium23 libgpiod2)
dest="${1:-${APPLIANCE_ARM64_SYSROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/appliance-suite/arm64-sysroot}}"

if ! command -v qemu-aarch64-static >/dev/null 2>&1; then
  echo "Installing qemu-user-static" >&2
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq qemu-user-static >&2
fi

stamp="$dest/.packages"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "${packages[*]}" ] && [ -e "$dest/lib/ld-linux-aarch64.so.1" ]; then
  echo "$dest"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
touch "$work/status"
# The machine's own sources, read for arm64 into a private list and cache.
apt_arm64=(apt-get -qq
  -o APT::Architecture=arm64 -o APT::Architectures::=arm64
  -o APT::Sandbox::User="$(id -un)"
  -o Dir::State::Lists="$work/lists" -o Dir::Cache="$work/cache" -o Dir::State::status="$work/status")
echo "Building the arm64 sysroot from Debian's arm64 packages: ${packages[*]}" >&2
"${apt_arm64[@]}" update >&2
(cd "$work" && "${apt_arm64[@]}" download "${packages[@]}" >&2)

rm -rf "$dest.new"
mkdir -p "$dest.new"
for deb in "$work"/*.deb; do
  dpkg-deb -x "$deb" "$dest.new"
done
# Debian's arm64 loader lives in /usr/lib/aarch64-linux-gnu with a /lib link in usrmerged systems;
# qemu looks for it under the prefix at the path the binaries name.
if [ ! -e "$dest.new/lib/ld-linux-aarch64.so.1" ]; then
  mkdir -p "$dest.new/lib"
  ln -s ../usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1 "$dest.new/lib/ld-linux-aarch64.so.1" 2>/dev/null \
    || ln -s ../lib/aarch64-linux-gnu/ld-linux-aarch64.so.1 "$dest.new/lib/ld-linux-aarch64.so.1"
fi
echo "${packages[*]}" > "$dest.new/.packages"
rm -rf "$dest"
mv "$dest.new" "$dest"
echo "$dest"
