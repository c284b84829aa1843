#!/usr/bin/env bash
# End-to-end: soilrisk downstream --rivers on a hand-made DEM (EPSG:4545, 40 × 40 cells of
# 10 m): a plane falling 1 m per cell to the east and 0.2 m per cell to the south. A mine
# at cell (5, 10) drains east; a river line down column 20 catches its path 150 m down
# and carries it south. Parcel P1 (cols 17–18, rows 30–34) lies 2 m above the river.
# Usage: downstream_rivers.sh SOILRISK SCRATCH_DIR SOURCE_DIR
source "$(dirname "$0")/lib.bash"

awk 'BEGIN {
  print "ncols 40"; print "nrows 40"; print "xllcorner 400000"; print "yllcorner 2800000";
  print "cellsize 10";
  for (r = 0; r < 40; r++) { line = "";
    for (c = 0; c < 40; c++) line = line sprintf("%.1f ", 200 - c - 0.2 * r)
    print line } }' > dem.asc
gdal_translate -q -a_srs EPSG:4545 -of GTiff dem.asc dem.tif || fail "gdal_translate"

crs='"crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4545"}}'
cat > farmland.geojson <<JSON
{"type": "FeatureCollection", $crs, "features": [
 {"type": "Feature", "properties": {"parcel_id": "P1", "category": 3},
  "geometry": {"type": "Polygon", "coordinates":
   [[[400170,2800050],[400190,2800050],[400190,2800100],[400170,2800100],[400170,2800050]]]}}
]}
JSON
cat > mines.geojson <<JSON
{"type": "FeatureCollection", $crs, "features": [
 {"type": "Feature", "properties": {"mine_id": "M1"},
  "geometry": {"type": "Point", "coordinates": [400055, 2800295]}}
]}
JSON
river() { # river down the centres of column $1
  local x=$((400000 + 10 * $1 + 5))
  cat > rivers.geojson <<JSON
{"type": "FeatureCollection", $crs, "features": [
 {"type": "Feature", "properties": {"name": "river"},
  "geometry": {"type": "LineString", "coordinates": [[$x, 2800500], [$x, 2799900]]}}
]}
JSON
}
common=(--dem dem.tif --farmland farmland.geojson --farmland-field id=parcel_id
        --sources mines.geojson --sources-field id=mine_id)
sql() { ogrinfo -q -sql "$2" "$1"; }

# 1. Without rivers: the path runs east, P1 (21 m above it) is not reached.
expect_exit 0 "$TOOL" downstream "${common[@]}" --out plain.gpkg
sql plain.gpkg "SELECT parcel_id FROM downstream_parcels" > plain.txt
expect_not_in plain.txt "P1"
sql plain.gpkg "SELECT river_join_chainage_m FROM flow_paths" > plain_paths.txt
expect_in plain_paths.txt "river_join_chainage_m (Real) = (null)"

# 2. With the river: the path joins it at 150 m and follows it south to the edge (440 m);
#    P1 is reached at 350 m, 2 m above the river (not 2 m + the 50 m burn).
river 20
expect_exit 0 "$TOOL" downstream "${common[@]}" --rivers rivers.geojson --out r.gpkg
expect_in err.txt "flow path joins a river at chainage 150.0 m and follows it to 440.0 m"
expect_in err.txt "1 of 1 lines cross the DEM, 40 cells burned 50 m deep"
sql r.gpkg "SELECT river_join_chainage_m, length_m, stop_reason FROM flow_paths" > paths.txt
expect_in paths.txt "river_join_chainage_m (Real) = 150"
expect_in paths.txt "length_m (Real) = 440"
expect_in paths.txt "stop_reason (String) = dem_edge"
sql r.gpkg "SELECT parcel_id, chainage_m, height_above_path_m FROM downstream_parcels" > p.txt
expect_in p.txt "parcel_id (String) = P1"
expect_in p.txt "chainage_m (Real) = 350"
expect_in p.txt "height_above_path_m (Real) = 2"
sql r.gpkg "SELECT key, value FROM soilrisk_about" > about.txt
expect_in about.txt "value (String) = rivers.geojson (layer rivers)"
expect_in about.txt "key (String) = burn_depth_m"

# 3. Cache: the same rivers reuse the conditioned DEM; a changed river file does not.
expect_exit 0 "$TOOL" downstream "${common[@]}" --rivers rivers.geojson --out r.gpkg --overwrite
expect_in err.txt "cached"
river 25
expect_exit 0 "$TOOL" downstream "${common[@]}" --rivers rivers.geojson --out r.gpkg --overwrite
expect_not_in err.txt "cached"
expect_in err.txt "flow path joins a river at chainage 200.0 m"
n=$(ls -d .soilrisk-cache/*/ | wc -l)
[ "$n" = 3 ] || fail "expected 3 cache entries (plain, river 20, river 25), got $n"

# 4. Bad input: polygons, a river outside the DEM, --burn-depth without --rivers.
cat > lakes.geojson <<JSON
{"type": "FeatureCollection", $crs, "features": [
 {"type": "Feature", "properties": {},
  "geometry": {"type": "Polygon", "coordinates":
   [[[400190,2800000],[400220,2800000],[400220,2800400],[400190,2800400],[400190,2800000]]]}}
]}
JSON
expect_exit 1 "$TOOL" downstream "${common[@]}" --rivers lakes.geojson --out bad.gpkg
expect_in err.txt "lakes.geojson"
expect_in err.txt "rivers must be lines"
[ "$(lines_of err.txt)" = 1 ] || fail "one error line expected: $(cat err.txt)"
sed 's/2800500/2900500/; s/2799900/2900100/' rivers.geojson > far.geojson
expect_exit 1 "$TOOL" downstream "${common[@]}" --rivers far.geojson --out bad.gpkg
expect_in err.txt "none of its 1 river lines crosses the DEM"
expect_exit 2 "$TOOL" downstream "${common[@]}" --burn-depth 10m --out bad.gpkg
[ -e bad.gpkg ] && fail "bad.gpkg written by a failed run"

# 5. Project file: rivers = "<layer key>"; the manifest records the river input.
river 20
cat > proj.toml <<'TOML'
[project]
name = "t"
out = "proj-out"
[layers.farmland]
path = "farmland.geojson"
fields = { id = "parcel_id" }
[layers.mines]
path = "mines.geojson"
fields = { id = "mine_id" }
[layers.rivers]
path = "rivers.geojson"
[rasters.dem]
path = "dem.tif"
[[steps]]
type = "downstream"
name = "down"
sources = "mines"
rivers = "rivers"
burn_depth = "30m"
TOML
expect_exit 0 "$TOOL" run proj.toml --lang en
sql proj-out/down.gpkg "SELECT river_join_chainage_m FROM flow_paths" > proj_paths.txt
expect_in proj_paths.txt "river_join_chainage_m (Real) = 150"
sql proj-out/down.gpkg "SELECT parcel_id FROM downstream_parcels" > proj_p.txt
expect_in proj_p.txt "P1"
python3 - proj-out/manifest.json <<'PY' || fail "manifest: rivers input"
import json, sys
m = json.load(open(sys.argv[1]))
r = [i for i in m["inputs"] if i["key"] == "rivers"]
assert r and r[0]["features"] == 1 and r[0]["files"][0]["sha256"], r
s = m["steps"][0]["parameters"]
assert s["rivers"] == "rivers" and s["burn_depth"] == "30m", s
PY

# 6. upstream --rivers: a sample point on the river 240 m below the junction (cell 20, 34)
#    has the mine upstream only along the river; without rivers its catchment is the
#    strip of row 34 west of it (the plane falls east).
cat > sample.geojson <<JSON
{"type": "FeatureCollection", $crs, "features": [
 {"type": "Feature", "properties": {"sample_id": "S1"},
  "geometry": {"type": "Point", "coordinates": [400205, 2800055]}}
]}
JSON
up=(--dem dem.tif --targets sample.geojson --targets-field id=sample_id --sources mines.geojson
    --sources-field id=mine_id)
expect_exit 0 "$TOOL" upstream "${up[@]}" --out up_plain.gpkg --table up_plain.csv
expect_in up_plain.csv ",M1,,,,not upstream"
sql up_plain.gpkg "SELECT area_m2 FROM catchments" > up_plain.txt
expect_in up_plain.txt "area_m2 (Real) = 2100"
# With the river: M1 is upstream, 150 m along row 10 to the river and 240 m down it.
expect_exit 0 "$TOOL" upstream "${up[@]}" --rivers rivers.geojson --out up_r.gpkg --table up_r.csv
expect_in up_r.csv "C1,1,0.00,0.0770,1,M1,,390.0,283.0,upstream"
sql up_r.gpkg "SELECT key, value FROM soilrisk_about" > up_about.txt
expect_in up_about.txt "value (String) = rivers.geojson (layer rivers)"
cat >> proj.toml <<'TOML'
[[steps]]
type = "upstream"
name = "up"
targets = "mines"
sources = "mines"
rivers = "rivers"
TOML
expect_exit 0 "$TOOL" run proj.toml --lang en --overwrite
[ -f proj-out/up.gpkg ] || fail "upstream step with rivers wrote nothing"

sed -i 's/^burn_depth = "30m"$//; s/^rivers = "rivers"$/burn_depth = "30m"/' proj.toml
expect_exit 2 "$TOOL" run proj.toml --lang en --overwrite
expect_in err.txt "burn_depth needs rivers"
finish
