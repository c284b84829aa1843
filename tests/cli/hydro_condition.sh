#!/usr/bin/env bash
# End-to-end: soilrisk hydro condition / trace / catchment on a small real DEM.
# Args: $1 = tool, $2 = scratch dir, $3 = source dir.
set -euo pipefail
tool=$1
work=$2
src=$3
dem="$src/../shared/data/dem/pysheds_dem_fortworth_3s.tif"
if [[ ! -f $dem ]]; then
    echo "skipped: $dem is absent"
    exit 0
fi
rm -rf "$work"
mkdir -p "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }

# condition: four outputs, tiled + DEFLATE, georeference and nodata of the input.
"$tool" --quiet hydro condition --dem "$dem" --out "$work/cond" --stream-area 2km2 \
    2> "$work/stderr.txt"
[[ -s $work/stderr.txt ]] && fail "stderr not empty: $(cat "$work/stderr.txt")"
for f in filled.tif d8.tif accumulation.tif streams.gpkg; do
    [[ -f $work/cond/$f ]] || fail "missing $f"
done
info=$(gdalinfo "$work/cond/filled.tif")
grep -q "Block=256x256" <<< "$info" || fail "filled.tif not tiled"
grep -q "COMPRESSION=DEFLATE" <<< "$info" || fail "filled.tif not compressed"
grep -q "NoData Value=-32768" <<< "$info" || fail "filled.tif lost the nodata value"
grep -q 'ID\["EPSG",4326\]' <<< "$info" || fail "filled.tif lost the CRS"
in_origin=$(gdalinfo "$dem" | grep "^Origin")
grep -qF "$in_origin" <<< "$info" || fail "filled.tif moved: $in_origin"
d8info=$(gdalinfo -stats "$work/cond/d8.tif")
grep -q "SOILRISK_D8_ENCODING=esri" <<< "$d8info" || fail "d8.tif lacks its encoding"
grep -q "NoData Value=255" <<< "$d8info" || fail "d8.tif nodata"
grep -q "STATISTICS_MAXIMUM=128" <<< "$d8info" || fail "d8.tif not ESRI-coded"
accinfo=$(gdalinfo -stats "$work/cond/accumulation.tif")
grep -q "Type=UInt32" <<< "$accinfo" || fail "accumulation.tif type"
streams=$(ogrinfo -so "$work/cond/streams.gpkg" streams)
count=$(sed -n 's/^Feature Count: //p' <<< "$streams")
(( count > 10 )) || fail "only $count stream segments"
grep -q "strahler: Integer" <<< "$streams" || fail "streams lack strahler"
grep -q "upstream_area_m2: Real" <<< "$streams" || fail "streams lack upstream_area_m2"
min_area=$(ogrinfo -q -sql "SELECT MIN(upstream_area_m2) AS a FROM streams" \
    "$work/cond/streams.gpkg" | sed -n 's/.*a (Real) = //p')
awk -v a="$min_area" 'BEGIN { exit !(a >= 2e6) }' || fail "stream below threshold: $min_area"

# An existing output is kept without --overwrite (exit 1), replaced with it.
if "$tool" --quiet hydro condition --dem "$dem" --out "$work/cond" 2> "$work/err2.txt"; then
    fail "overwrote without --overwrite"
fi
grep -q "overwrite" "$work/err2.txt" || fail "no --overwrite hint"
"$tool" --quiet hydro condition --dem "$dem" --out "$work/cond" --overwrite \
    --d8-encoding taudem
gdalinfo "$work/cond/d8.tif" | grep -q "SOILRISK_D8_ENCODING=taudem" || fail "taudem"

# Usage errors exit with 2.
set +e
"$tool" hydro condition --dem "$dem" --out "$work/x" --d8-encoding arcgis 2> /dev/null
[[ $? -eq 2 ]] || fail "bad encoding should exit 2"
"$tool" hydro condition --dem "$dem" --out "$work/x" --stream-area lots 2> /dev/null
[[ $? -eq 2 ]] || fail "bad area should exit 2"
"$tool" hydro trace --from x.gpkg --out "$work/p.gpkg" 2> /dev/null
[[ $? -eq 2 ]] || fail "trace without --dem should exit 2"
set -e

# trace and catchment from the conditioned folder (taudem-coded d8 read back).
cat > "$work/src.csv" << 'CSV'
id,WKT
up,"POINT (-97.40 32.75)"
down,"POINT (-97.30 32.60)"
CSV
ogr2ogr -f GPKG "$work/src.gpkg" "$work/src.csv" -a_srs EPSG:4326 -nln src \
    -oo GEOM_POSSIBLE_NAMES=WKT -oo KEEP_GEOM_COLUMNS=NO
"$tool" --quiet hydro trace --conditioned "$work/cond" --from "$work/src.gpkg" \
    --max-length 5km --out "$work/paths.gpkg"
paths=$(ogrinfo -q "$work/paths.gpkg" paths -geom=NO)
grep -q "source_id (String) = up" <<< "$paths" || fail "no path for 'up'"
grep -qE "stop_reason \(String\) = (max_length|dem_edge|nodata|outlet|merged)" <<< "$paths" \
    || fail "no stop reason"
awk '/length_m \(Real\)/ { if ($4 > 5000.0001) bad = 1 } END { exit bad }' <<< "$paths" \
    || fail "path longer than --max-length"
ogrinfo -so "$work/paths.gpkg" paths | grep -q "3D Measured Line String" || fail "paths not ZM"
nprof=$(ogrinfo -so "$work/paths.gpkg" profile | sed -n 's/^Feature Count: //p')
(( nprof > 2 )) || fail "profile too short"

"$tool" --quiet hydro catchment --dem "$dem" --at "$work/src.gpkg" --snap 300m \
    --out "$work/catch.gpkg"
cinfo=$(ogrinfo -q "$work/catch.gpkg" catchments -geom=SUMMARY)
grep -q "MULTIPOLYGON" <<< "$cinfo" || fail "no catchment polygon"
grep -q "snap_distance_m (Real)" <<< "$cinfo" || fail "no snap distance"
# The polygon area (planar in degrees) is positive and area_m2 is sensible.
awk '/area_m2 \(Real\)/ { if ($4 <= 0) bad = 1 } END { exit bad }' <<< "$cinfo" \
    || fail "catchment area"
# QGIS styles: streams by Strahler order (graduated widths), paths with km ticks, catchments;
# SLD sidecars on request.
python3 "$src/tests/cli/check_styles.py" "$work/cond/streams.gpkg" streams=graduatedSymbol \
    streams#5 "streams~1 级" || fail "styles of streams.gpkg"
python3 "$src/tests/cli/check_styles.py" "$work/paths.gpkg" paths=singleSymbol \
    "paths~MarkerLine" profile=singleSymbol || fail "styles of paths.gpkg"
"$tool" --quiet --lang en --sld hydro catchment --dem "$dem" --at "$work/src.gpkg" --snap 300m \
    --out "$work/catch2.gpkg"
python3 "$src/tests/cli/check_styles.py" "$work/catch2.gpkg" --sidecars catchments=singleSymbol \
    "catchments~fieldName=\"target_id\"" || fail "styles of catch2.gpkg"
echo "ok"
