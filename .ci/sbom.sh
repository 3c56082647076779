#!/usr/bin/env bash
# Writes the software bill of materials (CycloneDX 1.7 JSON) of what ships: the appliance's
# firmware and the host, each with every NuGet package it restores (direct and transitive, with
# its hash and purl) and the project references that carry them. The test suite runs this and
# checks the result against every package the solution restores (SbomTests).
# Usage: .ci/sbom.sh [output folder, default artifacts/sbom]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-artifacts/sbom}"
mkdir -p "$out"

dotnet tool restore >/dev/null
version="$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props)"

bom() {
  local project="$1" name="$2" type="$3"
  dotnet tool run dotnet-CycloneDX "$project" --recursive --include-project-references \
    --output "$out" --filename "$name.cdx.json" --output-format Json \
    --set-name "$name" --set-version "$version" --set-type "$type" >/dev/null
  echo "$out/$name.cdx.json"
}

bom firmware/Appliance.Firmware/Appliance.Firmware.csproj appliance-firmware Firmware
bom host/Appliance.Host.Web/Appliance.Host.Web.csproj appliance-host Application
