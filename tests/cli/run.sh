#!/usr/bin/env bash
# soilrisk run: a project file with an area summary; manifest; errors in project files.
source "$(dirname "$0")/lib.bash"

mkdir -p proj
cat >proj/farmland.geojson <<'JSON'
{"type":"FeatureCollection","name":"farmland",
 "crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4545"}},
 "features":[
 {"type":"Feature","properties":{"DKBM":"A","LB":1,"XZQ":"融水苗族自治县"},
  "geometry":{"type":"Polygon","coordinates":[[[400000,2800000],[400100,2800000],[400100,2800100],[400000,2800100],[400000,2800000]]]}},
 {"type":"Feature","properties":{"DKBM":"B","LB":3,"XZQ":"融水苗族自治县"},
  "geometry":{"type":"Polygon","coordinates":[[[400200,2800000],[400400,2800000],[400400,2800100],[400200,2800100],[400200,2800000]]]}},
 {"type":"Feature","properties":{"DKBM":"C","LB":3,"XZQ":"三江侗族自治县"},
  "geometry":{"type":"Polygon","coordinates":[[[400500,2800000],[400600,2800000],[400600,2800100],[400500,2800100],[400500,2800000]]]}}
]}
JSON
cat >proj/project.toml <<'TOML'
[project]
name = "test"
out = "out"
crs = "EPSG:4545"

[layers.farmland]
path = "farmland.geojson"
fields = { category = "lb", county = "xzq", id = "dkbm" }

[[steps]]
type = "area-summary"
by = ["category", "county"]
area = "planar"
out = "area.csv"
TOML
expect_exit 0 "$TOOL" run proj/project.toml --lang en
[ -f proj/out/area.csv ] || fail "area.csv not written"
[ -f proj/out/manifest.json ] || fail "manifest.json not written"
python3 - <<'PY' || fail "area table wrong"
import csv, io
raw = open("proj/out/area.csv", "rb").read()
assert raw.startswith(b"\xef\xbb\xbf"), "no BOM"
rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
get = {(r["category"], r["county"]): r for r in rows}
assert float(get[("3", "融水苗族自治县")]["area_m2"]) == 20000.0
assert float(get[("3", "all")]["area_m2"]) == 30000.0
assert get[("3", "all")]["parcels"] == "2"
tot = get[("all", "all")]
assert float(tot["area_m2"]) == 40000.0 and tot["parcels"] == "3"
assert abs(float(tot["area_mu"]) - 60.0) < 1e-9, tot["area_mu"]
assert abs(float(tot["area_ha"]) - 4.0) < 1e-12
PY
# A second run without --overwrite refuses to replace outputs.
expect_exit 1 "$TOOL" run proj/project.toml
expect_in err.txt "--overwrite"
expect_exit 0 "$TOOL" run proj/project.toml --overwrite

# Project-file errors: unknown key (with suggestion), wrong type, missing path.
sed 's/^by = /bye = /' proj/project.toml >proj/bad1.toml
expect_exit 2 "$TOOL" run proj/bad1.toml
expect_in err.txt "unknown key 'bye'; did you mean 'by'?"
sed 's/^area = "planar"/area = 5/' proj/project.toml >proj/bad2.toml
expect_exit 2 "$TOOL" run proj/bad2.toml
expect_in err.txt "'area' must be a string"
sed 's/farmland.geojson/nowhere.geojson/' proj/project.toml >proj/bad3.toml
expect_exit 1 "$TOOL" run proj/bad3.toml
expect_in err.txt "nowhere.geojson"
printf '[project\nname = 1\n' >proj/bad4.toml
expect_exit 2 "$TOOL" run proj/bad4.toml
expect_in err.txt "bad4.toml:1:"
sed 's/category = "lb"/category = "leibie"/' proj/project.toml >proj/bad5.toml
expect_exit 1 "$TOOL" run proj/bad5.toml --overwrite
expect_in err.txt "no field 'leibie'"
expect_in err.txt "DKBM, LB, XZQ"
finish
