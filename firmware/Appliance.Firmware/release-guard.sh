#!/bin/sh
# The rollback guard: run by the firmware's unit before every start (ExecStartPre), as the
# service user, from outside any release (deploy-pi.sh installs it root-owned, so no release can
# change it). When a release is on trial (ROOT/trial, written by the firmware just before it
# switched `current`), it counts this start; a release that has used its starts (it keeps crashing)
# or outlived its health window without being confirmed is rolled back here: `current` is pointed
# at the previous release again by a rename, `previous` is removed, and ROOT/rolled-back says why
# (the firmware reports it to the host on its next connection). Confirming a release is the
# firmware's job: it removes the trial once it is healthy.
#
#   release-guard.sh [ROOT]      ROOT defaults to /opt/appliance
#
# Always exits 0: the start goes ahead, with whichever release `current` names afterwards.
set -eu

root="${1:-/opt/appliance}"
trial="$root/trial"
[ -f "$trial" ] || exit 0

value() { sed -n "s/^$1=//p" "$trial" | head -n 1; }
number() { v="$(value "$1")"; case "$v" in ''|*[!0-9]*) echo 0 ;; *) echo "$v" ;; esac; }

version="$(value version)"
previous="$(value previous)"
order="$(value order)"
rollout="$(value rollout)"
started="$(number started)"
window="$(number window)"
max_starts="$(number max_starts)"
starts="$(number starts)"
current="$(basename "$(readlink "$root/current" 2>/dev/null || echo none)")"

say() { echo "release-guard: $*" >&2; }

# Written whole and renamed into place, like everything the firmware writes here.
replace() {
  cat > "$1.next"
  sync "$1.next" 2>/dev/null || true
  mv -f "$1.next" "$1"
}

if [ "$current" != "$version" ]; then
  # The switch never happened (power cut before it), or a rollback already did: nothing on trial.
  rm -f "$trial"
  exit 0
fi

starts=$((starts + 1))
now="$(date +%s)"
reason=""
if [ "$max_starts" -gt 0 ] && [ "$starts" -gt "$max_starts" ]; then
  reason="$version did not become healthy in $max_starts starts (it keeps stopping)"
elif [ "$window" -gt 0 ] && [ "$now" -gt $((started + window)) ]; then
  reason="$version was not confirmed healthy within its ${window} s health window"
fi

if [ -z "$reason" ]; then
  sed "s/^starts=.*/starts=$starts/" "$trial" | replace "$trial"
  say "$version on trial: start $starts of $max_starts"
  exit 0
fi

if [ -z "$previous" ] || [ ! -d "$root/releases/$previous" ]; then
  say "$reason, but there is no previous release to return to: keeping $version"
  rm -f "$trial"
  exit 0
fi

printf 'version=%s\nrestored=%s\norder=%s\nrollout=%s\nreason=%s\n' "$version" "$previous" "$order" "$rollout" "$reason" | replace "$root/rolled-back"
rm -f "$root/current.next"
ln -s "releases/$previous" "$root/current.next"
mv -T "$root/current.next" "$root/current"
rm -f "$root/previous" "$trial"
sync "$root" 2>/dev/null || true
say "rolled back to $previous: $reason"
