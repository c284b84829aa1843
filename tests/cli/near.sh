#!/usr/bin/env bash
# End-to-end: soilrisk near on a tiny GeoPackage with farmland and sources in one file.
# Usage: near.sh SOILRISK SCRATCH_DIR SOURCE_DIR
set -euo pipefail
tool=$1
dir=$2
rm -rf "$dir" && mkdir -p "$dir" && cd "$dir"

fail() { echo "FAIL: $*" >&2; exit 1; }

crs='"crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4545"}}'
sq() { # x0 y0 x1 y1
    echo "[[[$1,$2],[$3,$2],[$3,$4],[$1,$4],[$1,$2]]]"
}
cat > farmland.geojson <<JSON
{"type": "FeatureCollection", $crs, "features": [
 {"type": "Feature", "properties": {"parcel_id": "P1", "category": 3, "county": "融水苗族自治县"},
  "geometry": {"type": "Polygon", "coordinates": $(sq 400020 2800120 400080 2800200)}},
 {"type": "Feature", "properties": {"parcel_id": "P2", "category": 2, "county": "融水苗族自治县"},
  "geometry": {"type": "Polygon", "coordinates": $(sq 400020 2800080 400080 2800120)}},
 {"type": "Feature", "properties": {"parcel_id": "P3", "category": 1, "county": "融安县"},
  "geometry": {"type": "Polygon", "coordinates": $(sq 401000 2800000 401100 2800100)}}
]}
JSON
cat > sources.geojson <<JSON
{"type": "FeatureCollection", $crs, "features": [
 {"type": "Feature", "properties": {"mine_id": "T1", "name": "尾矿库一"},
  "geometry": {"type": "Polygon", "coordinates": $(sq 400000 2800000 400100 2800100)}},
 {"type": "Feature", "properties": {"mine_id": "M2", "name": "矿点二"},
  "geometry": {"type": "Point", "coordinates": [401050, 2799950]}}
]}
JSON
ogr2ogr -q -f GPKG data.gpkg farmland.geojson -nln farmland
ogr2ogr -q -f GPKG -update data.gpkg sources.geojson -nln sources

# 1. CSV run: quiet, exit 0, nothing on stderr.
"$tool" near --farmland data.gpkg --farmland-layer farmland --sources data.gpkg \
    --sources-layer sources --rings 50,100,200 --by county --area planar \
    --out out.gpkg --table t.csv --quiet 2> err.txt || fail "near exited $?: $(cat err.txt)"
[ ! -s err.txt ] || fail "stderr not empty: $(cat err.txt)"

# 2. Layers, fields and CRS of the GeoPackage.
layers=$(ogrinfo -q out.gpkg | sed 's/^[0-9]*: //')
for l in near_pieces near_pieces_nearest near_rings near_rings_nearest near_summary \
         near_summary_nearest near_ranking; do
    grep -q "^$l" <<<"$layers" || fail "layer $l missing: $layers"
done
info=$(ogrinfo -so out.gpkg near_pieces)
grep -q 'ID\["EPSG",4545\]' <<<"$info" || fail "pieces CRS is not EPSG:4545"
for f in source_id source_name ring_from_m ring_to_m parcel_id category county area_m2 area_mu \
         area_ha parcel_area_m2 share distance_m; do
    grep -q "^$f: " <<<"$info" || fail "field $f missing in near_pieces"
done
# P1 (60×80 m, 20 m above the tailings pond): 60×30 in 0–50, 60×50 in 50–100.
n=$(ogrinfo -q -sql "SELECT count(*) AS n FROM near_pieces WHERE parcel_id='P1'" out.gpkg |
    sed -n 's/.*n (Integer[0-9]*) = //p')
[ "$n" = 2 ] || fail "P1 should be cut into 2 pieces, got '$n'"

# The nearest-source view (in a GeoPackage, a view of near_pieces and of the pieces cut
# between sources' regions): CRS and field types of a layer, fids 1..N once each, areas
# summing to the nearest-source table's.
info=$(ogrinfo -so out.gpkg near_pieces_nearest)
grep -q 'ID\["EPSG",4545\]' <<<"$info" || fail "nearest view CRS is not EPSG:4545"
grep -q '^area_m2: Real' <<<"$info" || fail "nearest view: area_m2 is not Real"
view=$(ogrinfo -q -sql "SELECT count(*) AS n, count(DISTINCT fid) AS d, min(fid) AS lo,
         max(fid) AS hi, sum(area_m2) AS a FROM near_pieces_nearest" out.gpkg)
val() { sed -n "s/.* $1 ([A-Za-z0-9]*) = //p" <<<"$view"; }
[ "$(val n)" -gt 0 ] && [ "$(val d)" = "$(val n)" ] && [ "$(val lo)" = 1 ] &&
    [ "$(val hi)" = "$(val n)" ] || fail "nearest view fids: $view"
total=$(ogrinfo -q -sql "SELECT sum(area_m2) AS a FROM near_summary_nearest WHERE
          source_id <> 'all' AND category <> 'all'" out.gpkg | sed -n 's/.* a (Real) = //p')
awk -v a="$(val a)" -v b="$total" 'BEGIN { d = a - b; exit !(d * d <= 1e-12 * b * b && b > 0) }' ||
    fail "nearest view area $(val a) differs from the nearest table's $total"

# QGIS styles: every feature layer, pieces by category with Chinese labels.
python3 "$3/tests/cli/check_styles.py" out.gpkg near_pieces=categorizedSymbol near_pieces#3 \
    near_pieces_nearest=categorizedSymbol near_rings=singleSymbol near_rings_nearest=singleSymbol \
    "near_pieces~严格管控类" "near_pieces~229,57,53,255" || fail "styles of out.gpkg"
[ ! -e out_near_pieces.sld ] || fail "SLD sidecar written without --sld"

# 3. CSV: BOM, stable header, hand-computed areas, totals marked "all".
head -c 3 t.csv | od -An -tx1 | grep -q 'ef bb bf' || fail "no UTF-8 BOM"
header=$(head -1 t.csv | tr -d '\r' | sed 's/^\xef\xbb\xbf//')
[ "$header" = "source_id,source_name,ring_from_m,ring_to_m,category,county,parcels,area_m2,area_mu,area_ha" ] ||
    fail "header: $header"
grep -q '^T1,尾矿库一,0,0,2,融水苗族自治县,1,1200.00,1.80,0.1200' t.csv ||
    fail "inside ring row: $(grep '^T1' t.csv | head -3)"
grep -q '^T1,尾矿库一,0,50,3,融水苗族自治县,1,1800.00,2.70,0.1800' t.csv ||
    fail "ring 0-50 row: $(grep '^T1,尾矿库一,0,50' t.csv)"
grep -q '^M2,矿点二,50,100,1,融安县,1,' t.csv || fail "M2 ring row missing"
grep -q '^all,' t.csv || fail "overall rows missing"
[ -s t_nearest.csv ] && [ -s t_ranking.csv ] || fail "sibling CSVs missing"
grep -q '^1,T1,' <(tr -d '\r' < t_ranking.csv | sed 's/^\xef\xbb\xbf//' | tail -n +2) ||
    fail "T1 should rank first: $(cat t_ranking.csv)"

# 4. XLSX in English; an existing output needs --overwrite; bad options exit 2.
"$tool" near --farmland data.gpkg --farmland-layer farmland --sources data.gpkg \
    --sources-layer sources --rings 50,100 --out out2.gpkg --table t.xlsx --lang en --quiet --sld ||
    fail "xlsx run failed"
python3 "$3/tests/cli/check_styles.py" out2.gpkg --sidecars "near_pieces~Strict control" ||
    fail "styles of out2.gpkg (English, SLD sidecars)"
[ -s t.xlsx ] || fail "no xlsx"
unzip -p t.xlsx xl/sharedStrings.xml | grep -q 'Ring from (m)' || fail "xlsx headers not English"
set +e
"$tool" near --farmland data.gpkg --farmland-layer farmland --sources data.gpkg \
    --sources-layer sources --out out.gpkg --quiet 2> err.txt
rc=$?
set -e
[ $rc = 1 ] || fail "existing output: exit $rc"
grep -q -- '--overwrite' err.txt || fail "no --overwrite hint: $(cat err.txt)"
set +e
"$tool" near --farmland data.gpkg --farmland-layer farmland --sources data.gpkg \
    --sources-layer sources --rings 500,100 --out x.gpkg --quiet 2> err.txt
rc=$?
set -e
[ $rc = 2 ] || fail "bad rings: exit $rc"
[ ! -e x.gpkg ] || fail "output written despite a usage error"
echo "near: ok"
