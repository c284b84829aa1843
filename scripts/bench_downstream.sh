#!/usr/bin/env bash
# Benchmark of `soilrisk downstream` (issue 5): a 25-million-cell DEM (5000 × 5000,
# scripts/make_synthetic_dem.cpp, relocated with gdal_translate -a_ullr to 20 m cells over
# the parcels' 100 km square), 1,000,000 parcels and 50 mine points
# (scripts/bench/gen_parcels.cpp), reach 10 km, corridor 500 m, max height 10 m.
#   run 1: conditioning included (cache cold);  run 2: reusing the cached conditioned DEM.
# Prints wall time, CPU time and peak memory (GNU time) of each run.
#
# Usage: scripts/bench_downstream.sh [--tool PATH] [--work DIR] [--parcels N] [--size N]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
tool="$root/build/soilrisk"
work="${TMPDIR:-/tmp}/soilrisk-bench-downstream"
parcels=1000000
size=5000
while [[ $# -gt 0 ]]; do
    case $1 in
    --tool) tool=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --parcels) parcels=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    -h | --help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
mkdir -p "$work"
cd "$work"
for src in make_synthetic_dem:make_synthetic_dem.cpp gen_parcels:bench/gen_parcels.cpp; do
    bin=${src%%:*}; cpp=$root/scripts/${src#*:}
    if [ ! -x "$bin" ] || [ "$cpp" -nt "$bin" ]; then
        c++ -O2 -std=c++17 $(gdal-config --cflags) "$cpp" -o "$bin" $(gdal-config --libs)
    fi
done
if [ ! -s dem.tif ]; then
    ./make_synthetic_dem dem_raw.tif "$size" "$size" 1
    side=$(awk -v p="$parcels" 'BEGIN { printf "%d", int(sqrt(p - 1)) + 1 }')
    ext=$((side * 100))
    gdal_translate -q -a_ullr 560000 $((2650000 + ext)) $((560000 + ext)) 2650000 \
        -co TILED=YES -co COMPRESS=DEFLATE dem_raw.tif dem.tif
    rm -f dem_raw.tif
fi
[ -s farmland.gpkg ] || ./gen_parcels "$parcels" farmland.gpkg mines.gpkg 50 1
echo "DEM: $(gdalinfo dem.tif | grep 'Size is'), parcels: $parcels, sources: 50"
rm -rf out && mkdir out
run() {
    /usr/bin/time -f "%e s wall, %U+%S s CPU, %M KB peak" "$tool" downstream --dem dem.tif \
        --farmland farmland.gpkg --sources mines.gpkg --sources-field id=mine_id \
        --reach 10km --corridor 500m --max-height 10m --out out/down.gpkg \
        --table out/down.csv --overwrite -v 2>&1 | grep -E "wall|: [0-9.]+ s|parcels and" || true
}
echo "run 1 (conditioning included):"; run
echo "run 2 (cached conditioned DEM):"; run
