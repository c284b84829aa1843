#!/usr/bin/env bash
# Benchmark of the hydrology engine (issue 4): fill + D8 + accumulation (+ streams and
# GeoTIFF/GeoPackage writing: `soilrisk hydro condition`) and 50 downstream traces, on
#   (a) the Catalonia SRTM 3" DEM (2.9 M cells),
#   (b) the same resampled to a third of its cell size with gdalwarp -r cubic (~26 M),
#   (c) a generated 25 M-cell DEM (scripts/make_synthetic_dem.cpp),
# and, when GRASS GIS is installed, `r.watershed -s` (single flow direction) on the
# same DEMs in a throwaway location, in the same run. Prints the median wall time of N
# runs, CPU time, peak memory (/usr/bin/time -v) and the GRASS/soilrisk ratio.
#
# Usage: scripts/bench_hydro.sh [--runs N] [--grass-runs M] [--install] [--no-grass]
#                               [--tool PATH] [--work DIR] [--only a|b|c]
#   --install     apt-get install -y grass-core when GRASS is missing
#   --runs N      runs per soilrisk measurement (default 3); --grass-runs M (default N)
# Needs: gdalwarp, gdalinfo, ogr2ogr, g++ and gdal-config (for the generator), GNU time.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
runs=3
grass_runs=""
install=0
use_grass=1
only=""
tool="$root/build/soilrisk"
work="${TMPDIR:-/tmp}/soilrisk-bench-hydro"
while [[ $# -gt 0 ]]; do
    case $1 in
    --runs) runs=$2; shift 2 ;;
    --grass-runs) grass_runs=$2; shift 2 ;;
    --install) install=1; shift ;;
    --no-grass) use_grass=0; shift ;;
    --tool) tool=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    -h | --help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
grass_runs=${grass_runs:-$runs}
[[ -x $tool ]] || { echo "no soilrisk tool at $tool; build first or give --tool" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "GNU time (/usr/bin/time) is needed: apt-get install time" >&2; exit 1; }
data="$root/../shared/data/dem"
catalonia="$data/srtm3_N41-42E001_catalonia_pyrenees.tif"
[[ -f $catalonia ]] || { echo "missing $catalonia" >&2; exit 1; }
mkdir -p "$work"

grass_bin=""
if [[ $use_grass == 1 ]]; then
    grass_bin=$(command -v grass || true)
    if [[ -z $grass_bin && $install == 1 ]]; then
        echo "installing grass-core ..." >&2
        apt-get install -y grass-core > "$work/apt.log" 2>&1 || {
            apt-get update > /dev/null 2>&1 && apt-get install -y grass-core > "$work/apt.log" 2>&1
        }
        grass_bin=$(command -v grass || true)
    fi
    [[ -z $grass_bin ]] && echo "GRASS not installed: no comparison (use --install)" >&2
fi

# --- inputs ------------------------------------------------------------------------
dem_b="$work/catalonia_1s_cubic.tif"
if [[ ! -f $dem_b ]]; then
    echo "resampling Catalonia to 1\" (gdalwarp -r cubic) ..." >&2
    gdalwarp -q -r cubic -tr 0.000277777777778 0.000277777777778 -ot Float32 \
        -co TILED=YES -co COMPRESS=DEFLATE -co ZLEVEL=1 -co NUM_THREADS=ALL_CPUS \
        -wo NUM_THREADS=ALL_CPUS -multi "$catalonia" "$dem_b.tmp.tif"
    mv "$dem_b.tmp.tif" "$dem_b"
fi
dem_c="$work/synthetic_5000x5000.tif"
if [[ ! -f $dem_c ]]; then
    echo "generating the 25 M-cell synthetic DEM ..." >&2
    g++ -O2 -std=c++17 "$here/make_synthetic_dem.cpp" $(gdal-config --cflags) \
        $(gdal-config --libs) -o "$work/make_synthetic_dem"
    "$work/make_synthetic_dem" "$dem_c.tmp.tif" 5000 5000 1
    mv "$dem_c.tmp.tif" "$dem_c"
fi

# 50 trace sources spread over a DEM's extent (fixed seed), in the DEM's CRS.
make_sources() { # dem out
    local dem=$1 out=$2
    read -r x0 y1 < <(gdalinfo "$dem" | sed -n 's/^Upper Left *( *\([-0-9.]*\), *\([-0-9.]*\)).*/\1 \2/p')
    read -r x1 y0 < <(gdalinfo "$dem" | sed -n 's/^Lower Right *( *\([-0-9.]*\), *\([-0-9.]*\)).*/\1 \2/p')
    local srs
    srs=$(gdalsrsinfo -o wkt1 "$dem" | tr -d '\n')
    awk -v x0="$x0" -v x1="$x1" -v y0="$y0" -v y1="$y1" 'BEGIN {
        srand(42); print "id,WKT";
        for (i = 1; i <= 50; i++) {
            x = x0 + (0.05 + 0.9 * rand()) * (x1 - x0); y = y0 + (0.05 + 0.9 * rand()) * (y1 - y0);
            printf "s%02d,\"POINT (%.9f %.9f)\"\n", i, x, y } }' > "$out.csv"
    rm -f "$out"
    ogr2ogr -q -f GPKG "$out" "$out.csv" -a_srs "$srs" -nln sources \
        -oo GEOM_POSSIBLE_NAMES=WKT -oo KEEP_GEOM_COLUMNS=NO
}

# Runs a command under GNU time; prints "wall_s cpu_s maxrss_kb".
timed() {
    local log="$work/time.log"
    /usr/bin/time -v -o "$log" "$@" > "$work/cmd.out" 2>&1 || {
        echo "FAILED: $*" >&2
        cat "$work/cmd.out" >&2
        return 1
    }
    awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + p[i] }
                /User time/ { u = $2 } /System time/ { s = $2 } /Maximum resident/ { m = $2 }
                END { printf "%.2f %.2f %d\n", w, u + s, m }' "$log"
}

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

printf "soilrisk hydro benchmark — %s, %s cores, load average %s\n" "$(date -u +%Y-%m-%dT%H:%MZ)" \
    "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf "tool: %s (%s); runs: %s; GRASS: %s\n\n" "$tool" "$("$tool" --version)" "$runs" \
    "${grass_bin:+$("$grass_bin" --version 2>&1 | head -1)}"
printf "%-24s %9s %12s %6s %6s %7s %9s %8s %9s %9s %6s %9s\n" DEM cells "condition_s" "cpu_s" \
    "MB" "B/cell" "traces_s" "grass_s" "grass_cpu" "grass_MB" ratio cpu_ratio

bench_one() { # label dem
    local label=$1 dem=$2
    local cells
    cells=$(gdalinfo "$dem" | sed -n 's/^Size is \([0-9]*\), \([0-9]*\)/\1 \2/p' | awk '{ print $1 * $2 }')
    make_sources "$dem" "$work/sources_$label.gpkg"
    local walls=() cpus=() mems=() traces=()
    for ((i = 0; i < runs; i++)); do
        read -r w c m < <(timed "$tool" --quiet hydro condition --dem "$dem" --out "$work/cond_$label" --overwrite)
        walls+=("$w"); cpus+=("$c"); mems+=("$m")
        read -r w c m < <(timed "$tool" --quiet hydro trace --conditioned "$work/cond_$label" \
            --from "$work/sources_$label.gpkg" --out "$work/paths_$label.gpkg" --overwrite)
        traces+=("$w")
    done
    local wall cpu mem tr
    wall=$(printf "%s\n" "${walls[@]}" | median)
    cpu=$(printf "%s\n" "${cpus[@]}" | median)
    mem=$(printf "%s\n" "${mems[@]}" | sort -g | tail -1)
    tr=$(printf "%s\n" "${traces[@]}" | median)
    local gwall="-" gmem="-" gcpu="-" ratio="-" cpu_ratio="-"
    if [[ -n $grass_bin ]]; then
        local gdb="$work/grassdb"
        rm -rf "$gdb"
        mkdir -p "$gdb"
        "$grass_bin" -c "$dem" -e "$gdb/loc" > "$work/grass.log" 2>&1
        "$grass_bin" "$gdb/loc/PERMANENT" --exec r.in.gdal -o input="$dem" output=dem \
            --overwrite >> "$work/grass.log" 2>&1
        "$grass_bin" "$gdb/loc/PERMANENT" --exec g.region raster=dem >> "$work/grass.log" 2>&1
        local gw=() gm=() gc=()
        for ((i = 0; i < grass_runs; i++)); do
            read -r w c m < <(timed "$grass_bin" "$gdb/loc/PERMANENT" --exec r.watershed -s \
                elevation=dem accumulation=acc drainage=dir --overwrite)
            gw+=("$w"); gm+=("$m"); gc+=("$c")
        done
        gwall=$(printf "%s\n" "${gw[@]}" | median)
        gcpu=$(printf "%s\n" "${gc[@]}" | median)
        cpu_ratio=$(awk -v g="$gcpu" -v s="$cpu" 'BEGIN { printf "%.1fx", g / s }')
        gmem=$(printf "%s\n" "${gm[@]}" | sort -g | tail -1)
        gmem=$((gmem / 1024))
        ratio=$(awk -v g="$gwall" -v s="$wall" 'BEGIN { printf "%.1fx", g / s }')
        rm -rf "$gdb"
    fi
    printf "%-24s %9d %12s %6s %6d %7.1f %9s %8s %9s %9s %6s %9s\n" "$label" "$cells" "$wall" \
        "$cpu" $((mem / 1024)) "$(awk -v m="$mem" -v c="$cells" 'BEGIN { print m * 1024 / c }')" \
        "$tr" "$gwall" "$gcpu" "$gmem" "$ratio" "$cpu_ratio"
}

[[ -z $only || $only == a ]] && bench_one "a_catalonia_3s" "$catalonia"
[[ -z $only || $only == b ]] && bench_one "b_catalonia_1s_cubic" "$dem_b"
[[ -z $only || $only == c ]] && bench_one "c_synthetic_5000x5000" "$dem_c"
echo
echo "condition_s: median wall time of 'soilrisk hydro condition' (read, fill + D8,"
echo "accumulation, streams, writing 3 GeoTIFFs + streams.gpkg); cpu_s: user + system;"
echo "MB: peak resident memory (whole process); traces_s: 50 traces from the conditioned"
echo "folder (incl. reading it back); grass_s / grass_cpu: r.watershed -s wall / CPU time"
echo "(median; the map already imported); ratio: grass_s / condition_s; cpu_ratio: the same"
echo "for CPU time, which is steadier than wall time on a shared machine."
