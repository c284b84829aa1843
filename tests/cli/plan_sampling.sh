#!/usr/bin/env bash
# soilrisk plan-sampling: outputs, GPX/KML re-read with GDAL, reproducibility, early errors.
source "$(dirname "$0")/lib.bash"

mkdir -p in
sq() { # x0 y0 x1 y1 offsets from 400000, 2800000 (EPSG:4545)
  local a=$((400000 + $1)) b=$((2800000 + $2)) c=$((400000 + $3)) d=$((2800000 + $4))
  echo "[[[$a,$b],[$c,$b],[$c,$d],[$a,$d],[$a,$b]]]"
}
cat >in/farmland.geojson <<JSON
{"type":"FeatureCollection","name":"farmland",
 "crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4545"}},
 "features":[
 {"type":"Feature","properties":{"DKBM":"A","LB":3,"XZQ":"融水苗族自治县","XZQDM":"450225"},
  "geometry":{"type":"Polygon","coordinates":$(sq 0 0 1000 1000)}},
 {"type":"Feature","properties":{"DKBM":"B","LB":2,"XZQ":"融水苗族自治县","XZQDM":"450225"},
  "geometry":{"type":"Polygon","coordinates":$(sq 2000 0 2500 500)}},
 {"type":"Feature","properties":{"DKBM":"C","LB":3,"XZQ":"三江侗族自治县","XZQDM":"450226"},
  "geometry":{"type":"Polygon","coordinates":$(sq 0 2000 1000 2600)}},
 {"type":"Feature","properties":{"DKBM":"D","LB":1,"XZQ":"三江侗族自治县","XZQDM":"450226"},
  "geometry":{"type":"Polygon","coordinates":$(sq 3000 2000 4000 3000)}}
]}
JSON
cat >in/samples.geojson <<'JSON'
{"type":"FeatureCollection","name":"soil_samples",
 "crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4545"}},
 "features":[
 {"type":"Feature","properties":{"sample_id":"S1"},"geometry":{"type":"Point","coordinates":[400500,2800500]}},
 {"type":"Feature","properties":{"sample_id":"S2"},"geometry":{"type":"Point","coordinates":[403500,2802500]}},
 {"type":"Feature","properties":{"sample_id":"S3"},"geometry":{"type":"Point","coordinates":[402100,2800100]}}
]}
JSON
COMMON=(--farmland in/farmland.geojson --farmland-field category=LB --farmland-field county=XZQ
        --farmland-field county_code=XZQDM --farmland-field id=DKBM
        --samples in/samples.geojson --area planar)
T=(--target "category in (2,3)")

expect_exit 0 "$TOOL" plan-sampling "${COMMON[@]}" "${T[@]}" --design balanced --oversample 3 --seed 7 -o a
[ -s err.txt ] && fail "stderr not empty: $(cat err.txt)"
expect_in out.txt "spatial balance"
expect_in out.txt "2 legacy sites kept"
for f in plan.gpkg plan.gpx plan.kml plan.xlsx plan_field_sheet.csv plan_deficit.csv plan_quality.csv; do
  [ -s "a/$f" ] || fail "a/$f not written"
done
[ -z "$(ls -A a | grep tmp)" ] || fail "temporary files left behind"

# QGIS styles: plan points (legacy samples, ordered replacements, design); the units here
# are counties without polygons (an attribute table, no style).
python3 "$SRC/tests/cli/check_styles.py" a/plan.gpkg plan=RuleRenderer plan#6 "plan~保留样点" \
    "plan~&quot;kind&quot; = &#39;oversample&#39;" \
    >styles.txt || { fail "styles of a/plan.gpkg"; cat styles.txt; }

# GPX and KML parse with GDAL and carry the same ids as the field sheet.
ogr2ogr -f CSV gpx.csv a/plan.gpx waypoints 2>>err.txt || fail "GDAL cannot read the GPX"
ogr2ogr -f CSV -nln kml kml.csv a/plan.kml 2>>err.txt || fail "GDAL cannot read the KML"
ogr2ogr -f CSV plan.csv a/plan.gpkg plan || fail "GDAL cannot read the plan layer"
ogr2ogr -f CSV units.csv a/plan.gpkg units || fail "GDAL cannot read the units layer"
python3 - <<'PY' || fail "GPX/KML ids"
import csv, glob, io
def table(path):
    return list(csv.DictReader(open(path, encoding="utf-8-sig")))
raw = open("a/plan_field_sheet.csv", "rb").read()
assert raw.startswith(b"\xef\xbb\xbf")
rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
ids = {r["point_id"] for r in rows}
assert len(ids) == 26 + 3, len(ids)
assert all(r["point_id"].split("-")[0] in ("450225", "450226") for r in rows)
assert all(r["depth_cm"] == "" and r["collector"] == "" for r in rows)
assert all(len(r["lon"].split(".")[1]) <= 6 for r in rows)
assert {r["name"] for r in table("gpx.csv")} == ids
got = set()
for path in glob.glob("kml.csv") + glob.glob("kml.csv/*.csv"):
    got |= {r["Name"] for r in table(path)}
assert got == ids, (got ^ ids)
kinds = {}
for r in table("plan.csv"):
    kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
assert kinds == {"legacy": 2, "main": 26, "oversample": 3}, kinds
first = table("units.csv")[0]
assert first["unit_code"] == "450225" and first["deficit"] == "17", first
PY

# Same seed: byte-identical files; another seed: different points.
expect_exit 0 "$TOOL" plan-sampling "${COMMON[@]}" "${T[@]}" --design balanced --oversample 3 --seed 7 -o b --threads 1
for f in plan.gpx plan.kml plan_field_sheet.csv plan_deficit.csv plan_quality.csv; do
  cmp -s "a/$f" "b/$f" || fail "$f differs for the same seed"
done
expect_exit 0 "$TOOL" plan-sampling "${COMMON[@]}" "${T[@]}" --design balanced --oversample 3 --seed 8 -o c
cmp -s a/plan.gpx c/plan.gpx && fail "another seed gave the same GPX"

# Existing outputs need --overwrite.
expect_exit 1 "$TOOL" plan-sampling "${COMMON[@]}" "${T[@]}" -o a
expect_in err.txt "--overwrite"

# Grid and stratified designs run; grid uses the spacing.
expect_exit 0 "$TOOL" plan-sampling "${COMMON[@]}" "${T[@]}" --design grid --spacing 250m -o g --lang en --sld
expect_in out.txt "design grid"
expect_in out.txt "g/plan_plan.sld"
python3 "$SRC/tests/cli/check_styles.py" g/plan.gpkg --sidecars "plan~Replacement (oversample" \
    >styles.txt || { fail "styles of g/plan.gpkg"; cat styles.txt; }
expect_exit 0 "$TOOL" plan-sampling "${COMMON[@]}" "${T[@]}" --design stratified --sizes 450226-3=4,450225-2=2 -o s
expect_in out.txt "stratum 450226-3"

# Impossible stratum size: a usage error naming the stratum, and nothing written.
expect_exit 2 "$TOOL" plan-sampling "${COMMON[@]}" "${T[@]}" --design stratified --sizes 450225-2=100 -o x
expect_in err.txt "stratum 450225-2"
expect_in err.txt "can hold at most"
[ ! -e x/plan.gpkg ] || fail "output written despite the error"
# Bad target filter and a field that does not exist.
expect_exit 2 "$TOOL" plan-sampling "${COMMON[@]}" --target "category in (2," -o x
expect_in err.txt "--target"
expect_exit 1 "$TOOL" plan-sampling "${COMMON[@]}" --target "leibie = 3" -o x
expect_in err.txt "'leibie'"
expect_exit 2 "$TOOL" plan-sampling "${COMMON[@]}" "${T[@]}" --density abc -o x
expect_in err.txt "1-per-100mu"

# The project-file step writes the same outputs, named after the step.
cat >in/project.toml <<'TOML'
[project]
name = "sampling"
out = "out"
crs = "EPSG:4545"

[layers.farmland]
path = "farmland.geojson"
fields = { category = "LB", county = "XZQ", county_code = "XZQDM", id = "DKBM" }

[layers.soil_samples]
path = "samples.geojson"
fields = { id = "sample_id" }

[[steps]]
type = "plan-sampling"
name = "infill"
farmland = "farmland"
samples = "soil_samples"
target = "category = 3"
design = "balanced"
oversample = 2
seed = 11
min_distance = "150m"
area = "planar"
TOML
expect_exit 0 "$TOOL" run in/project.toml
for f in infill.gpkg infill.gpx infill.kml infill.xlsx infill_field_sheet.csv infill_deficit.csv; do
  [ -s "in/out/$f" ] || fail "step output in/out/$f not written"
done
expect_in in/out/manifest.json "infill.gpx"
python3 "$SRC/tests/cli/check_styles.py" in/out/infill.gpkg plan=RuleRenderer >styles.txt ||
    { fail "styles of in/out/infill.gpkg"; cat styles.txt; }
sed 's/^seed = 11/sed = 11/' in/project.toml >in/bad.toml
expect_exit 2 "$TOOL" run in/bad.toml
expect_in err.txt "did you mean 'seed'"
finish
