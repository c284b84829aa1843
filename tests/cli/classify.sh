#!/usr/bin/env bash
# End-to-end: soilrisk classify on tiny farmland (GeoJSON -> GeoPackage) and soil samples
# (CSV with x/y columns, "<10"/"ND" cells and a decimal comma).
# Usage: classify.sh SOILRISK SCRATCH_DIR SOURCE_DIR
set -euo pipefail
tool=$1
dir=$2
src=$3
rm -rf "$dir" && mkdir -p "$dir" && cd "$dir"

fail() { echo "FAIL: $*" >&2; exit 1; }

crs='"crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4545"}}'
sq() { # x0 y0 x1 y1, offsets from (400000, 2800000)
    local a=$((400000 + $1)) b=$((2800000 + $2)) c=$((400000 + $3)) d=$((2800000 + $4))
    echo "[[[$a,$b],[$c,$b],[$c,$d],[$a,$d],[$a,$b]]]"
}
feature() { # id dlbm category county measures x0 y0 x1 y1
    echo "{\"type\": \"Feature\", \"properties\": {\"parcel_id\": \"$1\", \"dlbm\": \"$2\",
      \"category\": $3, \"county\": \"$4\", \"measures\": \"$5\"},
      \"geometry\": {\"type\": \"Polygon\", \"coordinates\": $(sq $6 $7 $8 $9)}}"
}
cat > farmland.geojson <<JSON
{"type": "FeatureCollection", $crs, "features": [
 $(feature P1 0101 1 融安县 否 0 0 100 100),
 $(feature P2 0103 2 融安县 是 200 0 300 100),
 $(feature P3 0201 3 融水苗族自治县 否 0 200 100 300),
 $(feature P4 0101 2 融水苗族自治县 是 1000 1000 1100 1100)
]}
JSON
ogr2ogr -q -f GPKG farmland.gpkg farmland.geojson -nln farmland

# S1 in P1 (水田, pH 6.0): Cd 0.5 > 0.4 -> class 2 (P1 1 -> 2)
# S2 in P2 (旱地, pH 6.0): Cd 0,2 <= 0.3, Pb <10, Cu ND -> class 1 (P2 2 -> 1)
# S3 in P3 (果园, pH 5.5): Cd 1.6 > 1.5 -> class 3; Cu 120 <= orchard 150
cat > samples.csv <<'CSV'
sample_id,x,y,ph,landuse,cd,pb,cu
S1,400050,2800050,6.0,水田,0.5,30,20
S2,400250,2800050,6.00,旱地,"0,2",<10,ND
S3,400050,2800250,5.5,果园,1.6,30,120
CSV

run() { "$tool" classify --farmland farmland.gpkg --samples samples.csv \
    --samples-assume-crs EPSG:4545 --area planar --quiet "$@"; }

# 1. Inside method: exit 0; stderr holds only the warning about S2's decimal comma.
run --out out.gpkg --table t.xlsx --csv csv 2> err.txt || fail "classify exited $?: $(cat err.txt)"
grep -qF "field cd: 1 values use a decimal comma (first '0,2' in sample S2)" err.txt ||
    fail "no decimal-comma warning: $(cat err.txt)"
[ "$(wc -l < err.txt)" = 1 ] || fail "stderr has more than the warning: $(cat err.txt)"
[ -s t.xlsx ] || fail "no XLSX written"

# 2. Layers and stable columns.
layers=$(ogrinfo -q out.gpkg | sed 's/^[0-9]*: //')
for l in samples parcels change_matrix changed_parcels weak_evidence safe_utilisation; do
    grep -q "^$l" <<<"$layers" || fail "layer $l missing: $layers"
done
info=$(ogrinfo -so out.gpkg samples)
grep -q 'ID\["EPSG",4545\]' <<<"$info" || fail "samples CRS is not EPSG:4545"
for f in sample_id soil_class limiting_element cd_screening_ratio cd_intervention_ratio \
         pb_screening_ratio cu_screening_ratio; do
    grep -q "^$f:" <<<"$info" || fail "samples field $f missing"
done
grep -q "^cu_intervention_ratio:" <<<"$info" && fail "Cu has no intervention value"

# 3. Sample values.
q() { ogrinfo -q -ro out.gpkg -sql "$1" | sed -n 's/^ *[a-z_0-9]* ([A-Za-z0-9]*) = //p' | tr '\n' ' '; }
[ "$(q "SELECT soil_class FROM samples ORDER BY sample_id")" = "2 1 3 " ] ||
    fail "soil classes: $(q "SELECT soil_class FROM samples ORDER BY sample_id")"
[ "$(q "SELECT limiting_element FROM samples WHERE sample_id='S3'")" = "cd " ] || fail "S3 limiting"
[ "$(q "SELECT below_dl FROM samples WHERE sample_id='S2'")" = "pb,cu " ] || fail "S2 below_dl"
r=$(q "SELECT cd_screening_ratio FROM samples WHERE sample_id='S1'")
[[ "$r" == 1.25* ]] || fail "S1 Cd screening ratio $r"

# 4. Parcels: proposals and changes.
[ "$(q "SELECT proposed_category FROM parcels ORDER BY parcel_id")" = "2 1 3 2 " ] ||
    fail "proposed: $(q "SELECT proposed_category FROM parcels ORDER BY parcel_id")"
[ "$(q "SELECT change FROM parcels WHERE parcel_id='P1'")" = "downgrade " ] || fail "P1 change"
[ "$(q "SELECT weak_evidence FROM parcels WHERE parcel_id='P4'")" = "1 " ] || fail "P4 weak"
q "SELECT method FROM parcels WHERE parcel_id='P1'" | grep -q "method=inside" || fail "method"

# QGIS styles: proposed category with the changes hatched over it, samples by class.
python3 "$3/tests/cli/check_styles.py" out.gpkg parcels=RuleRenderer parcels#5 \
    samples=categorizedSymbol samples#3 "parcels~建议类别" "parcels~类别变化" \
    "parcels~&quot;proposed_category&quot; &gt; &quot;current_category&quot;" ||
    fail "styles of out.gpkg"

# 5. CSV tables: change matrix and safe-utilisation rate.
head -c3 csv/change_matrix.csv | od -An -tx1 | grep -q "ef bb bf" || fail "CSV without BOM"
grep -q '^融安县,1,优先保护类,2,安全利用类,1,10000' csv/change_matrix.csv ||
    fail "change matrix 1->2: $(cat csv/change_matrix.csv)"
grep -q '^all,2,安全利用类,1,优先保护类,1,' csv/change_matrix.csv || fail "matrix 2->1"
grep -q '^融水苗族自治县,.*,50.00,91.00,no,current' csv/safe_utilisation.csv ||
    fail "rate 融水: $(cat csv/safe_utilisation.csv)"
grep -q '^融安县,.*,100.00,91.00,yes,current' csv/safe_utilisation.csv || fail "rate 融安"
grep -q '^all,.*,45.00,30.00,3.0000,2.0000,66.67,91.00,no' csv/safe_utilisation.csv || fail "rate city"
[ "$(wc -l < csv/changed_parcels.csv)" -eq 3 ] || fail "changed parcels: $(cat csv/changed_parcels.csv)"

# 6. Other assignment methods.
run --method nearest --max-distance 150m --out nearest.gpkg 2> err.txt || fail "nearest: $(cat err.txt)"
run --method voronoi --out voronoi.gpkg 2> err.txt || fail "voronoi: $(cat err.txt)"
ogrinfo -q voronoi.gpkg | grep -q units || fail "voronoi: no units layer"
python3 "$3/tests/cli/check_styles.py" voronoi.gpkg units=categorizedSymbol units#3 ||
    fail "styles of voronoi.gpkg"
run --method idw --idw-power 2 --idw-radius 2km --idw-neighbours 3 --idw-cell 20m \
    --out idw.gpkg 2> err.txt || fail "idw: $(cat err.txt)"
ogrinfo -q -ro idw.gpkg -sql "SELECT method FROM parcels" | grep -q "method=idw; power=2.00" ||
    fail "idw method not recorded"

# 7. Crop samples with the rule table; --lang en.
cat > crops.csv <<'CSV'
sample_id,x,y,crop,cd,pb
C1,400020,2800220,水稻,0.1,ND
C2,400040,2800220,水稻,0.15,0.1
C3,400060,2800220,水稻,0.3,0.1
CSV
run --crops crops.csv --crops-assume-crs EPSG:4545 --food-edition 2017 --out crops.gpkg \
    --lang en 2> err.txt || fail "crops: $(cat err.txt)"
[ "$(ogrinfo -q -ro crops.gpkg -sql "SELECT rule_id FROM parcels WHERE parcel_id='P3'" |
     sed -n 's/^ *rule_id (String) = //p')" = "S3-crops-mostly-compliant" ] || fail "rule not applied"
ogrinfo -q -ro crops.gpkg -sql "SELECT change FROM parcels WHERE parcel_id='P3'" | grep -q upgrade ||
    fail "P3 not upgraded"
python3 "$3/tests/cli/check_styles.py" crops.gpkg crops=categorizedSymbol crops#3 \
    "parcels~Category change" "crops~Within the limit" || fail "styles of crops.gpkg"

# 8. Errors: existing output, missing pH, text value, bad option.
set +e
run --out out.gpkg 2> err.txt; rc=$?
[ $rc -eq 1 ] && grep -q -- "--overwrite" err.txt || fail "existing output: rc $rc $(cat err.txt)"
sed 's/^S2,400250,2800050,6.00/S2,400250,2800050,/' samples.csv > nopH.csv
"$tool" classify --farmland farmland.gpkg --samples nopH.csv --samples-assume-crs EPSG:4545 \
    --out e.gpkg --quiet 2> err.txt; rc=$?
[ $rc -eq 1 ] && grep -q "sample S2" err.txt && grep -q -- "--default-ph" err.txt ||
    fail "missing pH: rc $rc $(cat err.txt)"
"$tool" classify --farmland farmland.gpkg --samples nopH.csv --samples-assume-crs EPSG:4545 \
    --default-ph 6.5 --out e.gpkg --quiet 2> err.txt || fail "default pH: $(cat err.txt)"
sed 's/,1.6,30,120/,high,30,120/' samples.csv > text.csv
"$tool" classify --farmland farmland.gpkg --samples text.csv --samples-assume-crs EPSG:4545 \
    --out e2.gpkg --quiet 2> err.txt; rc=$?
[ $rc -eq 1 ] && grep -q "sample S3" err.txt && grep -q "field cd" err.txt ||
    fail "text value: rc $rc $(cat err.txt)"
run --method kriging --out e3.gpkg 2> err.txt; rc=$?
[ $rc -eq 2 ] || fail "bad method: rc $rc"
set -e

# 9. Project step.
cat > project.toml <<TOML
[project]
name = "classify test"
out = "proj-out"

[layers.farmland]
path = "farmland.gpkg"

[layers.soil_samples]
path = "samples.csv"
assume_crs = "EPSG:4545"

[[steps]]
type = "classify"
method = "nearest"
max_distance = "200m"
area = "planar"
TOML
"$tool" run project.toml --quiet 2> err.txt || fail "project: $(cat err.txt)"
[ -s proj-out/classify.gpkg ] && [ -s proj-out/classify.xlsx ] &&
    [ -s proj-out/classify-csv/change_matrix.csv ] || fail "project outputs missing: $(ls -R proj-out)"
python3 "$3/tests/cli/check_styles.py" proj-out/classify.gpkg parcels=RuleRenderer ||
    fail "styles of the project's classify.gpkg"
echo ok
