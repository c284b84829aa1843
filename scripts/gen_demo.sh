#!/usr/bin/env bash
# Regenerate the soilrisk demo data set in data/demo/ (deterministic).
# Needs the Debian packages python3-gdal and python3-numpy:
#   apt-get install -y python3-gdal python3-numpy
# The system interpreter /usr/bin/python3 is used on purpose: a python3 from
# pyenv/venv on PATH usually has no GDAL bindings.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=/usr/bin/python3
if ! "$PY" -c 'import numpy; from osgeo import gdal, ogr' 2>/dev/null; then
  echo "gen_demo: $PY lacks numpy/GDAL; install them with:" >&2
  echo "  apt-get install -y python3-gdal python3-numpy" >&2
  exit 1
fi
# Real input data (read only); override with SOILRISK_SHARED_DATA=/path/to/shared/data
export SOILRISK_SHARED_DATA="${SOILRISK_SHARED_DATA:-/work/shared/data}"
exec "$PY" -B scripts/gen_demo/gen_demo.py "$@"
