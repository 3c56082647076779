#!/usr/bin/env bash
# Installs what the test suite needs (Debian packages, only if missing) and runs every test.
# This is the README's second Quick start command and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests use: libgtk-3-0 for OpenCV's native library (the independent
# reference our image metrics are checked against); mosquitto for the external-broker tests
# (and mosquitto-clients, whose mosquitto_pub the upload benchmark measures against). The
# servers themselves (the host's embedded broker, mosquitto) are started by the tests on 127.0.0.1.
# The shellcheck package checks deploy-pi.sh and these scripts; chromium is the headless browser
# the page tests drive through Playwright; dicom3tools (dciodvfy) and dcmtk (dcmdump) check the
# DICOM we export; postgresql's server runs as throwaway clusters (initdb in a temp folder, a
# free loopback port) for the host state tests on PostgreSQL; orthanc with orthanc-dicomweb is the
# PACS the forwarding tests send to (run in the foreground on a free loopback port); ngspice
# simulates the LED ring driver in hardware/ring-driver; openscad renders the head in
# hardware/head to STL and admesh checks it is a closed manifold; graphviz draws the wiring.
packages=(libgtk-3-0 mosquitto mosquitto-clients shellcheck chromium dicom3tools dcmtk postgresql orthanc orthanc-dicomweb ngspice openscad admesh graphviz)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm install axe-core, which the accessibility tests inject into the pages.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installing missing Debian packages: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "The .NET SDK 10 is needed (dotnet on PATH)." >&2
  exit 1
fi

# The real photographs the quality checks are scored on (Debian packages, licences in
# tests/photos/photos.tsv), unpacked into a cache folder; nothing is installed.
tests/photos/fetch.sh

# qemu-user-static and an arm64 sysroot from Debian's arm64 packages, so the firmware built for
# the Pi runs under emulation in the end-to-end tests (installed or made once, then cached).
tests/arm64/sysroot.sh >/dev/null

# axe-core (tests/accessibility/package.json, pinned in its lock file) for the accessibility tests.
(cd tests/accessibility && npm ci --no-audit --no-fund --loglevel=error)

# The tests in the Hardware category need a Pi wired as hardware/README.md says: built here, run
# there (hardware/bench-test.md).
dotnet test ApplianceSuite.sln --nologo --filter "Category!=Hardware"
