#!/usr/bin/env bash
# Fetches the real photographs the quality checks are scored on (tests/photos/photos.tsv) from
# the Debian packages that ship them, with the licences recorded there, into a cache folder:
# nothing is committed, and nothing is installed (each package is downloaded and only the listed
# files are unpacked). Every file is checked against its recorded SHA-256, so the set is the same
# on every machine or the fetch fails.
#
# Usage: tests/photos/fetch.sh [folder]
# The folder defaults to $APPLIANCE_PHOTOS, else ${XDG_CACHE_HOME:-~/.cache}/appliance-suite/photos,
# which is where the tests and the qc-real benchmark look.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
manifest="$here/photos.tsv"
dest="${1:-${APPLIANCE_PHOTOS:-${XDG_CACHE_HOME:-$HOME/.cache}/appliance-suite/photos}}"
mkdir -p "$dest"

# id -> file name in the cache: the id and the source's extension.
cached_name() { printf '%s.%s' "$1" "${2##*.}"; }

have_all=true
while IFS=$'\t' read -r id _ _ path _ _ sha; do
  [[ "$id" == \#* || -z "$id" ]] && continue
  f="$dest/$(cached_name "$id" "$path")"
  if [ ! -f "$f" ] || [ "$(sha256sum "$f" | cut -d' ' -f1)" != "$sha" ]; then
    have_all=false
    break
  fi
done < "$manifest"
if $have_all; then
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mapfile -t packages < <(grep -v '^#' "$manifest" | cut -f3 | sort -u)
echo "Fetching the real photographs for the quality checks from: ${packages[*]}"
(
  cd "$work"
  if ! apt-get download "${packages[@]}" >/dev/null 2>"$work/apt.err"; then
    # The package lists may be missing on a fresh machine.
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    apt-get download "${packages[@]}" >/dev/null
  fi
)

for deb in "$work"/*.deb; do
  mkdir -p "$work/x"
  dpkg-deb -x "$deb" "$work/x"
done

failed=0
while IFS=$'\t' read -r id _ package path _ _ sha; do
  [[ "$id" == \#* || -z "$id" ]] && continue
  src="$work/x/$path"
  if [ ! -f "$src" ]; then
    echo "photos: $id: $path is not in $package" >&2
    failed=1
    continue
  fi
  actual="$(sha256sum "$src" | cut -d' ' -f1)"
  if [ "$actual" != "$sha" ]; then
    echo "photos: $id: $path in $package has changed (sha256 $actual, recorded $sha)" >&2
    failed=1
    continue
  fi
  cp "$src" "$dest/$(cached_name "$id" "$path")"
done < "$manifest"
exit "$failed"
