#!/usr/bin/env bash
# Installs the Debian 12 packages soilrisk needs to build, test and run, if missing.
# Uses sudo when not root. Safe to run again: installs nothing when all are present.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config   # toolchain
  libgdal-dev gdal-bin                           # GDAL/OGR 3.6 (vector + raster I/O, tools used by tests)
  libgeos-dev libproj-dev                        # GEOS C API (overlay), PROJ (CRS, geodesics)
  libboost-dev libtbb-dev                        # Boost.Geometry R-tree, TBB parallelism
  libcli11-dev libtomlplusplus-dev nlohmann-json3-dev  # CLI parsing, project files, JSON
  libxlsxwriter-dev                              # XLSX tables
  libssl-dev                                     # SHA-256 of inputs in run manifests
  libsqlite3-dev                                 # GeoPackage spatial indexes packed in bulk
  libcairo2-dev libpango1.0-dev fonts-noto-cjk   # maps: drawing, text layout, Chinese fonts
  poppler-utils unzip python3                    # used by the CLI tests (pdfinfo, unzip, checks)
  catch2                                         # tests (Catch2 v2)
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all Debian packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
