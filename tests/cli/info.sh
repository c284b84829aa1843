#!/usr/bin/env bash
# soilrisk info on small files: text and JSON output, areas, errors and exit codes.
source "$(dirname "$0")/lib.bash"

# Two 100 m x 100 m parcels (1 ha each) in CGCS2000 GK CM 108E, one a bow-tie.
cat >parcels.geojson <<'JSON'
{"type":"FeatureCollection","name":"parcels",
 "crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4545"}},
 "features":[
 {"type":"Feature","properties":{"parcel_id":"A","category":1,"county":"融水苗族自治县"},
  "geometry":{"type":"Polygon","coordinates":[[[400000,2800000],[400100,2800000],[400100,2800100],[400000,2800100],[400000,2800000]]]}},
 {"type":"Feature","properties":{"parcel_id":"B","category":3,"county":"三江侗族自治县"},
  "geometry":{"type":"Polygon","coordinates":[[[400200,2800000],[400300,2800100],[400300,2800000],[400200,2800100],[400200,2800000]]]}}
]}
JSON
expect_exit 0 "$TOOL" info parcels.geojson
expect_in out.txt "EPSG:4545"
expect_in out.txt "Features:  2"
expect_in out.txt "1 invalid (1 repaired"
expect_in out.txt "parcel_id"
expect_in out.txt " mu = "
expect_in err.txt "repaired 1 invalid"

expect_exit 0 "$TOOL" info parcels.geojson --json
python3 - <<'PY' || fail "JSON output wrong"
import json
j = json.load(open("out.txt"))
assert j["crs"]["epsg"] == 4545, j["crs"]
assert j["feature_count"] == 2
assert j["geometry_check"]["repaired"] == 1
a = j["area"]
# 1 ha + bow-tie (2 x 2500 m²), ellipsoidal ~ planar / k² (k < 1.0002 here): within 0.1 %
assert abs(a["m2"] - 15000) / 15000 < 1e-3, a
assert abs(a["mu"] - a["m2"] * 15 / 10000) < 1e-9 * a["mu"]
assert abs(a["ha"] - a["m2"] / 10000) < 1e-12 * a["ha"] + 1e-12
PY

# Errors: one line, the file named, exit 1 (data) or 2 (usage).
expect_exit 1 "$TOOL" info missing.shp
expect_in err.txt "missing.shp"
expect_in err.txt "does not exist"
[ "$(lines_of err.txt)" = "1" ] || fail "error is not one line"
expect_exit 2 "$TOOL" info parcels.geojson --no-such-option
expect_exit 2 "$TOOL" info parcels.geojson --invalid maybe
expect_exit 1 "$TOOL" info parcels.geojson --invalid error
expect_in err.txt "Self-intersection"
finish
