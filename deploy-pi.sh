#!/usr/bin/env bash
# shellcheck disable=SC2029 # remote commands are built here, from checked values, and expanded before ssh on purpose
# Puts a Raspberry Pi into service as a dermoscopy appliance, from an admin workstation over SSH.
#
#   ./deploy-pi.sh --host pi@clinic-a-01.local --package clinic-a-01.enrol.json --broker-host HOST [options]
#   ./deploy-pi.sh --target-root DIR --package FILE --broker-host HOST --firmware-dir DIR [options]
#
# It publishes the firmware (linux-arm64, self-contained), installs it as a release in the
# release layout (/opt/appliance/releases/VERSION, the `current` link, the rollback guard) with a
# hardened systemd unit that starts `current`, enrols the provisioning package (the one-time code from APPLIANCE_ENROLMENT_CODE, or
# asked for), and hardens the OS: Bluetooth off, swap off, Wi-Fi off unless configured for WPA2/3, a
# firewall that lets out only the broker (plus DNS, NTP and the package mirror for security
# updates), no cloud, sync or remote-access services, automatic security updates.
# Last it runs the firmware's self-test (its table is printed), then starts the firmware.
# Safe to run again: every step converges. Exit 0: deployed and the self-test passed;
# 3: deployed, but the self-test failed; 2: bad arguments, nothing changed.
#
# Options:
#   --host USER@ADDRESS     the Pi, reached with ssh and sudo
#   --target-root DIR       apply the file changes under DIR instead (no SSH; commands that are
#                           not file changes are listed, not run; the self-test looks under DIR).
#                           For tests and image builds.
#   --package FILE          the enrolment package from `appliance-host provision|rotate|reprovision`
#   --broker-host HOST      the broker the appliance may reach (the firewall's only destination)
#   --broker-port PORT      default 8883
#   --admin-net CIDRS       who may SSH in, comma-separated; default the private ranges
#   --wifi-ssid SSID        join this Wi-Fi network (otherwise Wi-Fi is disabled)
#   --wifi-psk-file FILE    its passphrase (8-63 characters), read from a file, never the command line
#   --wifi-security MODE    wpa3 (default) or wpa2
#   --firmware-dir DIR      install this already-published firmware instead of publishing
#   --version VERSION       the release it is (default: the folder's release-manifest.json, else
#                           the version in Directory.Build.props, which the publish stamps)
#   --boot-config PATH      the Pi's config.txt; default /boot/firmware/config.txt
#   --dry-run               print every action, change nothing
set -euo pipefail

usage() {
  sed -n '3,34p' "$0" | sed 's/^# \{0,1\}//'
  exit "${1:-0}"
}

die() {
  echo "deploy-pi.sh: $*" >&2
  exit 2
}

target=""
root=""
package=""
broker_host=""
broker_port="8883"
admin_net="10.0.0.0/8,172.16.0.0/12,192.168.0.0/16"
wifi_ssid=""
wifi_psk_file=""
wifi_security="wpa3"
firmware_dir=""
version=""
boot_config="/boot/firmware/config.txt"
dry_run=0

while [ $# -gt 0 ]; do
  case "$1" in
    --host) target="${2:-}"; shift 2 ;;
    --target-root) root="${2:-}"; shift 2 ;;
    --package) package="${2:-}"; shift 2 ;;
    --broker-host) broker_host="${2:-}"; shift 2 ;;
    --broker-port) broker_port="${2:-}"; shift 2 ;;
    --admin-net) admin_net="${2:-}"; shift 2 ;;
    --wifi-ssid) wifi_ssid="${2:-}"; shift 2 ;;
    --wifi-psk-file) wifi_psk_file="${2:-}"; shift 2 ;;
    --wifi-security) wifi_security="${2:-}"; shift 2 ;;
    --firmware-dir) firmware_dir="${2:-}"; shift 2 ;;
    --version) version="${2:-}"; shift 2 ;;
    --boot-config) boot_config="${2:-}"; shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "unknown argument: $1" >&2; usage 2 ;;
  esac
done

# --- Checks before anything changes -------------------------------------------------------

if [ -n "$target" ] && [ -n "$root" ]; then die "give --host or --target-root, not both"; fi
if [ -z "$target" ] && [ -z "$root" ]; then die "--host USER@ADDRESS (or --target-root DIR) is required"; fi
[ -n "$package" ] || die "--package FILE is required (appliance-host provision writes it)"
[ -f "$package" ] || die "no enrolment package at $package"
enrolment_id="$(grep -o '"enrolmentId":"[0-9a-f]\{32\}"' "$package" | sed 's/.*:"\(.*\)"/\1/' || true)"
device_id="$(grep -o '"deviceId":"[a-z0-9-]*"' "$package" | sed 's/.*:"\(.*\)"/\1/' || true)"
if [ -z "$enrolment_id" ] || [ -z "$device_id" ]; then die "$package is not an enrolment package"; fi
[[ "$broker_host" =~ ^[A-Za-z0-9.:-]+$ ]] || die "--broker-host HOST is required (a name or an address)"
if ! [[ "$broker_port" =~ ^[0-9]+$ ]] || [ "$broker_port" -lt 1 ] || [ "$broker_port" -gt 65535 ]; then die "--broker-port must be 1-65535"; fi
[[ "$admin_net" =~ ^[0-9a-fA-F.:/,]+$ ]] || die "--admin-net takes comma-separated CIDRs"
case "$wifi_security" in wpa2|wpa3) ;; *) die "--wifi-security is wpa2 or wpa3 (open and WEP networks are refused)" ;; esac
wifi_psk=""
if [ -n "$wifi_ssid" ]; then
  [ -f "$wifi_psk_file" ] || die "--wifi-ssid needs --wifi-psk-file FILE"
  wifi_psk="$(head -n1 "$wifi_psk_file")"
  if [ "${#wifi_psk}" -lt 8 ] || [ "${#wifi_psk}" -gt 63 ]; then die "the Wi-Fi passphrase must be 8-63 characters"; fi
  [[ "$wifi_ssid" != *$'\n'* ]] || die "the SSID may not hold a line break"
fi
if [ -n "$root" ] && [ -z "$firmware_dir" ]; then die "--target-root needs --firmware-dir (nothing is published for a local folder)"; fi
if [ -n "$firmware_dir" ] && [ ! -x "$firmware_dir/Appliance.Firmware" ]; then die "no Appliance.Firmware in $firmware_dir"; fi
if [ -n "$root" ]; then mkdir -p "$root"; root="$(cd "$root" && pwd)"; fi

here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# --- Primitives: each prints what it does; --dry-run stops there ------------------------

say() { printf '%s\n' "$*"; }

# Runs a command on the Pi as root. Under --target-root it is not a file change: listed only.
on_pi() {
  local what="$1"; shift
  if [ "$dry_run" -eq 1 ]; then say "would run on the Pi ($what): $*"; return 0; fi
  if [ -n "$root" ]; then say "skipped under --target-root ($what): $*"; return 0; fi
  say "on the Pi: $what"
  ssh "$target" "sudo sh -c $(printf '%q' "$*")"
}

# Installs a local file at DEST on the Pi with MODE and OWNER.
put_file() {
  local source="$1" dest="$2" mode="$3" owner="${4:-root:root}"
  if [ "$dry_run" -eq 1 ]; then say "would install $dest (mode $mode, owner $owner)"; return 0; fi
  say "install $dest (mode $mode)"
  if [ -n "$root" ]; then
    mkdir -p "$root$(dirname "$dest")"
    install -m "$mode" "$source" "$root$dest"
  else
    local staged
    staged="/tmp/appliance-deploy.$(basename "$dest").$$"
    scp -q "$source" "$target:$staged"
    ssh "$target" "sudo install -D -o ${owner%%:*} -g ${owner##*:} -m $mode $staged $dest && rm -f $staged"
  fi
}

# Writes standard input to DEST on the Pi.
write_file() {
  local dest="$1" mode="$2" owner="${3:-root:root}" staged
  staged="$work/$(basename "$dest")"
  cat > "$staged"
  put_file "$staged" "$dest" "$mode" "$owner"
}

# Appends LINE to FILE unless it is there already.
ensure_line() {
  local file="$1" line="$2"
  if [ "$dry_run" -eq 1 ]; then say "would ensure '$line' in $file"; return 0; fi
  say "ensure '$line' in $file"
  if [ -n "$root" ]; then
    mkdir -p "$root$(dirname "$file")"
    touch "$root$file"
    grep -qxF "$line" "$root$file" || printf '%s\n' "$line" >> "$root$file"
  else
    ssh "$target" "sudo grep -qxF $(printf '%q' "$line") $file || printf '%s\n' $(printf '%q' "$line") | sudo tee -a $file >/dev/null"
  fi
}

# Masks a systemd unit (stops it and keeps it from ever starting), installed or not.
mask_unit() {
  local unit="$1"
  if [ "$dry_run" -eq 1 ]; then say "would mask $unit"; return 0; fi
  say "mask $unit"
  if [ -n "$root" ]; then
    mkdir -p "$root/etc/systemd/system"
    ln -sfn /dev/null "$root/etc/systemd/system/$unit"
  else
    ssh "$target" "sudo systemctl mask --now $unit >/dev/null 2>&1 || sudo systemctl mask $unit >/dev/null"
  fi
}

# Replaces the folder DEST on the Pi with the contents of SOURCE, owned by OWNER.
put_tree() {
  local source="$1" dest="$2" owner="${3:-root:root}"
  if [ "$dry_run" -eq 1 ]; then say "would replace $dest with $source"; return 0; fi
  say "install $dest from $source"
  if [ -n "$root" ]; then
    rm -rf "$root$dest"
    mkdir -p "$root$dest"
    cp -a "$source/." "$root$dest/"
    chmod -R go-w "$root$dest"
  else
    ssh "$target" "sudo mkdir -p $dest"
    rsync -a --delete --chown="$owner" --rsync-path="sudo rsync" "$source/" "$target:$dest/"
  fi
}

# --- 1. The firmware ----------------------------------------------------------------------

if [ -z "$firmware_dir" ]; then
  firmware_dir="$here/firmware/Appliance.Firmware/bin/publish-linux-arm64"
  if [ "$dry_run" -eq 1 ]; then
    say "would publish the firmware: dotnet publish firmware/Appliance.Firmware -c Release -r linux-arm64 --self-contained -o $firmware_dir"
  else
    say "publish the firmware for linux-arm64"
    dotnet publish "$here/firmware/Appliance.Firmware" -c Release -r linux-arm64 --self-contained -o "$firmware_dir" --nologo -v quiet
  fi
fi

if [ -z "$version" ]; then
  version="$(grep -o '"version":"[0-9.]*"' "$firmware_dir/release-manifest.json" 2>/dev/null | sed 's/.*:"\(.*\)"/\1/' || true)"
fi
if [ -z "$version" ]; then
  version="$(sed -n 's:.*<Version>\([0-9.]*\)</Version>.*:\1:p' "$here/Directory.Build.props")"
fi
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "--version must be major.minor.patch (got '$version')"

# The release layout: each release in its own folder, `current` (what the unit starts) switched by
# a rename. The service user owns it, because updates over the host link install beside the running
# release; the rollback guard lives outside it, root-owned, so no release can change it.
releases=/opt/appliance
on_pi "service user" "id appliance >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /var/lib/appliance --shell /usr/sbin/nologin --groups gpio,video appliance"
on_pi "the layout before releases" "if [ -f $releases/Appliance.Firmware ]; then find $releases -mindepth 1 -maxdepth 1 ! -name releases -exec rm -rf {} +; fi"
put_tree "$firmware_dir" "$releases/releases/$version" appliance:appliance
on_pi "release layout owner" "chown -R appliance:appliance $releases && chmod 755 $releases"
# The release deployed here is the one the admin chose: it is current, and on no trial.
if [ "$dry_run" -eq 1 ]; then
  say "would point $releases/current at releases/$version"
else
  say "current release $version"
  if [ -n "$root" ]; then
    ln -sfn "releases/$version" "$root$releases/current.next"
    mv -T "$root$releases/current.next" "$root$releases/current"
    rm -f "$root$releases/trial"
  else
    ssh "$target" "sudo -u appliance sh -c 'ln -sfn releases/$version $releases/current.next && mv -T $releases/current.next $releases/current && rm -f $releases/trial'"
  fi
fi
put_file "$here/firmware/Appliance.Firmware/release-guard.sh" /usr/local/lib/appliance/release-guard 755
put_file "$here/firmware/Appliance.Firmware/appliance-firmware.service" /etc/systemd/system/appliance-firmware.service 644

# --- 2. Bluetooth off: firmware overlay, kernel modules, services -------------------------

ensure_line "$boot_config" "dtoverlay=disable-bt"
write_file /etc/modprobe.d/appliance-no-bluetooth.conf 644 <<'EOF'
# Written by deploy-pi.sh: no Bluetooth on a dermoscopy appliance.
install bluetooth /bin/false
install btbcm /bin/false
install hci_uart /bin/false
install btusb /bin/false
blacklist bluetooth
blacklist btbcm
blacklist hci_uart
blacklist btusb
EOF
for unit in bluetooth.service hciuart.service bluealsa.service bthelper@.service; do mask_unit "$unit"; done

# --- 3. Wi-Fi: off, or WPA2/WPA3 only -----------------------------------------------------

if [ -n "$wifi_ssid" ]; then
  if [ "$wifi_security" = "wpa3" ]; then key_mgmt="sae"; pmf="3"; else key_mgmt="wpa-psk"; pmf="2"; fi
  write_file /etc/NetworkManager/system-connections/appliance-wifi.nmconnection 600 <<EOF
# Written by deploy-pi.sh.
[connection]
id=appliance-wifi
type=wifi
autoconnect=true

[wifi]
mode=infrastructure
ssid=$wifi_ssid

[wifi-security]
key-mgmt=$key_mgmt
proto=rsn
pairwise=ccmp
group=ccmp
pmf=$pmf
psk=$wifi_psk

[ipv4]
method=auto

[ipv6]
method=auto
EOF
else
  ensure_line "$boot_config" "dtoverlay=disable-wifi"
  mask_unit wpa_supplicant.service
fi

# --- 4. No cloud, sync or remote-access services ------------------------------------------

for unit in rpi-connect.service rpi-connect-wayvnc.service wayvnc.service vncserver-x11-serviced.service \
  vncserver-virtuald.service syncthing.service syncthing@.service onedrive.service onedrive@.service \
  dropbox.service teamviewerd.service anydesk.service cups-browsed.service; do
  mask_unit "$unit"
done

# --- 4b. No swap: nothing in memory (frames before sealing, keys) is ever paged to the card --

# Raspberry Pi OS swaps to /var/swap (dphys-swapfile) or, on newer releases, through swap
# units; masking swap.target keeps every one of them from starting. The firmware's unit also
# says MemorySwapMax=0, so its memory stays in RAM even if swap is turned on again.
for unit in dphys-swapfile.service swap.target; do mask_unit "$unit"; done
on_pi "swap off" "swapoff -a; if command -v dphys-swapfile >/dev/null; then dphys-swapfile swapoff; dphys-swapfile uninstall; fi; rm -f /var/swap"

# --- 5. Firewall: in, SSH from the admin networks; out, the broker and what updates need --

# nft resolves a broker name when the rules load; an IPv6 address needs the ip6 family.
if [[ "$broker_host" == *:* ]]; then broker_family="ip6"; else broker_family="ip"; fi

write_file /etc/nftables.conf 755 <<EOF
#!/usr/sbin/nft -f
# Written by deploy-pi.sh: the appliance talks to its broker and nothing else.
flush ruleset

table inet appliance {
  set admin_nets {
    type ipv4_addr
    flags interval
    elements = { ${admin_net//,/, } }
  }

  chain input {
    type filter hook input priority 0; policy drop;
    iif "lo" accept
    ct state established,related accept
    ct state invalid drop
    ip saddr @admin_nets tcp dport 22 accept
    icmp type { echo-request, destination-unreachable, time-exceeded } accept
    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-advert, destination-unreachable, packet-too-big } accept
    udp dport 68 accept
  }

  chain forward {
    type filter hook forward priority 0; policy drop;
  }

  chain output {
    type filter hook output priority 0; policy drop;
    oif "lo" accept
    ct state established,related accept
    # The broker: the appliance's only conversation.
    $broker_family daddr $broker_host tcp dport $broker_port accept
    # Names, time (certificates are checked against the clock) and addresses.
    udp dport { 53, 123, 67 } accept
    tcp dport 53 accept
    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit } accept
    # Security updates: only apt's download user reaches the mirrors.
    meta skuid "_apt" tcp dport { 80, 443 } accept
  }
}
EOF
on_pi "firewall" "apt-get install -y -qq nftables >/dev/null && systemctl enable nftables >/dev/null && nft -f /etc/nftables.conf"

# --- 6. Automatic security updates --------------------------------------------------------

write_file /etc/apt/apt.conf.d/20auto-upgrades 644 <<'EOF'
// Written by deploy-pi.sh: security updates install themselves.
APT::Periodic::Update-Package-Lists "1";
APT::Periodic::Unattended-Upgrade "1";
APT::Periodic::AutocleanInterval "7";
EOF
on_pi "automatic security updates" "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq unattended-upgrades >/dev/null"

# --- 7. Enrol the provisioning package -----------------------------------------------------

data=/var/lib/appliance
enrolled=0
if [ "$dry_run" -eq 0 ]; then
  if [ -n "$root" ]; then
    grep -qs "^$enrolment_id " "$root$data/enrolments" && enrolled=1
  else
    ssh "$target" "sudo grep -qs '^$enrolment_id ' $data/enrolments" && enrolled=1
  fi
fi

if [ "$enrolled" -eq 1 ]; then
  say "package $enrolment_id is already enrolled on $device_id: skipped"
elif [ "$dry_run" -eq 1 ]; then
  say "would enrol $package ($device_id) into $data with the enrolment code"
else
  code="${APPLIANCE_ENROLMENT_CODE:-}"
  if [ -z "$code" ]; then
    read -r -s -p "Enrolment code for $device_id: " code
    echo
  fi
  say "enrol $device_id"
  if [ -n "$root" ]; then
    install -d -m 700 "$root$data"
    install -m 600 "$package" "$root$data/pending.enrol.json"
    APPLIANCE_ENROLMENT_CODE="$code" "$root$releases/current/Appliance.Firmware" enrol \
      --package "$root$data/pending.enrol.json" "--Firmware:DataFolder=$root$data"
  else
    ssh "$target" "sudo install -d -o appliance -g appliance -m 700 $data"
    put_file "$package" "$data/pending.enrol.json" 600 appliance:appliance
    # The code travels on ssh's standard input, never in a command line.
    printf '%s\n' "$code" | ssh "$target" \
      "sudo -u appliance env APPLIANCE_ENROLMENT_CODE=\"\$(head -n1)\" $releases/current/Appliance.Firmware enrol --package $data/pending.enrol.json --Firmware:DataFolder=$data"
  fi
fi

# --- 8. Self-test, then start it ----------------------------------------------------------

# The firmware stopped first: it holds the GPIO lines while it runs. Under --target-root the
# folder is the Pi: its data folder, device nodes, sysfs and procfs are looked for under it.
selftest_status=0
if [ "$dry_run" -eq 1 ]; then
  say "would run the self-test: appliance-firmware selftest"
elif [ -n "$root" ]; then
  say "self-test of $device_id under $root"
  "$root$releases/current/Appliance.Firmware" selftest "--Firmware:DataFolder=$root$data" \
    "--Devices:DevRoot=$root/dev" "--Devices:SysRoot=$root/sys" "--Integrity:SysRoot=$root/sys" "--Integrity:ProcRoot=$root/proc" \
    || selftest_status=$?
else
  say "on the Pi: self-test"
  ssh "$target" "sudo systemctl stop appliance-firmware 2>/dev/null; sudo -u appliance $releases/current/Appliance.Firmware selftest --Firmware:DataFolder=$data" \
    || selftest_status=$?
fi

if [ -n "$root" ] && [ "$dry_run" -eq 0 ]; then
  # What `systemctl enable` would write.
  mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
  ln -sfn /etc/systemd/system/appliance-firmware.service "$root/etc/systemd/system/multi-user.target.wants/appliance-firmware.service"
  say "enable appliance-firmware.service"
fi
on_pi "start the firmware" "systemctl daemon-reload && systemctl enable appliance-firmware >/dev/null && systemctl restart appliance-firmware"
if [ "$selftest_status" -ne 0 ]; then
  say "deployed $device_id${root:+ under $root}, but the self-test failed: fix what its table says, then run it again on the Pi:"
  say "  sudo -u appliance $releases/current/Appliance.Firmware selftest"
  say "On a first deploy the Bluetooth checks fail until a reboot applies the overlays."
  exit 3
fi
say "done: $device_id deployed${root:+ under $root} and its self-test passed. A reboot applies the Bluetooth and Wi-Fi overlays."
