#!/usr/bin/env bash
# Installs the appliance firmware and its provisioning bundle on a Raspberry Pi over SSH.
# Run from an admin workstation in the repository root.
#
#   ./deploy-pi.sh --host pi@clinic-a-01.local --bundle clinic-a-01.bundle.json [--dry-run]
#
# Today it publishes the firmware (linux-arm64, self-contained), copies it and the bundle,
# and installs the systemd unit. OS hardening (Bluetooth off, firewall to the host only,
# no cloud services, automatic updates) is not done by this script yet.
set -euo pipefail

usage() {
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
  exit "${1:-0}"
}

target=""
bundle=""
dry_run=0
while [ $# -gt 0 ]; do
  case "$1" in
    --host) target="${2:-}"; shift 2 ;;
    --bundle) bundle="${2:-}"; shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "unknown argument: $1" >&2; usage 2 ;;
  esac
done

[ -n "$target" ] || { echo "--host user@address is required" >&2; exit 2; }
[ -n "$bundle" ] || { echo "--bundle FILE is required" >&2; exit 2; }
[ -f "$bundle" ] || { echo "no bundle at $bundle" >&2; exit 2; }

run() {
  if [ "$dry_run" -eq 1 ]; then
    printf 'would run:'
    printf ' %q' "$@"
    printf '\n'
  else
    "$@"
  fi
}

here="$(cd "$(dirname "$0")" && pwd)"
out="$here/firmware/Appliance.Firmware/bin/publish-linux-arm64"

run dotnet publish "$here/firmware/Appliance.Firmware" -c Release -r linux-arm64 --self-contained -o "$out"
run ssh "$target" 'sudo useradd --system --no-create-home --shell /usr/sbin/nologin appliance 2>/dev/null || true'
run ssh "$target" 'sudo mkdir -p /opt/appliance /var/lib/appliance && sudo chown appliance:appliance /var/lib/appliance && sudo chmod 700 /var/lib/appliance'
run rsync -a --delete --rsync-path="sudo rsync" "$out/" "$target:/opt/appliance/"
run scp "$bundle" "$target:/tmp/appliance-bundle.json"
run ssh "$target" 'sudo install -o appliance -g appliance -m 600 /tmp/appliance-bundle.json /var/lib/appliance/bundle.json && rm -f /tmp/appliance-bundle.json'
run scp "$here/firmware/Appliance.Firmware/appliance-firmware.service" "$target:/tmp/appliance-firmware.service"
run ssh "$target" 'sudo install -m 644 /tmp/appliance-firmware.service /etc/systemd/system/appliance-firmware.service && sudo systemctl daemon-reload && sudo systemctl enable --now appliance-firmware'
