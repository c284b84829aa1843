#!/usr/bin/env bash
# End-to-end: soilrisk downstream / upstream on a hand-made DEM (two valleys behind a
# ridge, EPSG:4545, 10 m cells) with a mine on the west river and four parcels.
# Usage: downstream.sh SOILRISK SCRATCH_DIR SOURCE_DIR
source "$(dirname "$0")/lib.bash"

# West valley floor at col 20, ridge at col 40, east valley (20 m lower) at col 60;
# rows fall 0.5 m towards the south edge.
awk 'BEGIN {
  print "ncols 81"; print "nrows 120"; print "xllcorner 400000"; print "yllcorner 2800000";
  print "cellsize 10";
  for (r = 0; r < 120; r++) { line = "";
    for (c = 0; c < 81; c++) {
      if (c <= 40) p = 2 * (c > 20 ? c - 20 : 20 - c); else if (c <= 60) p = 40 - 3 * (c - 40);
      else p = -20 + 3 * (c - 60);
      line = line sprintf("%.1f ", 300 - 0.5 * r + p) }
    print line } }' > dem.asc
gdal_translate -q -a_srs EPSG:4545 -of GTiff dem.asc dem.tif || fail "gdal_translate"

crs='"crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4545"}}'
sq() { echo "[[[$1,$2],[$3,$2],[$3,$4],[$1,$4],[$1,$2]]]"; }
cat > farmland.geojson <<JSON
{"type": "FeatureCollection", $crs, "features": [
 {"type": "Feature", "properties": {"parcel_id": "P1", "category": 3},
  "geometry": {"type": "Polygon", "coordinates": $(sq 400180 2800300 400230 2800400)}},
 {"type": "Feature", "properties": {"parcel_id": "P2", "category": 2},
  "geometry": {"type": "Polygon", "coordinates": $(sq 400180 2801090 400230 2801180)}},
 {"type": "Feature", "properties": {"parcel_id": "P3", "category": 1},
  "geometry": {"type": "Polygon", "coordinates": $(sq 400300 2800300 400350 2800400)}},
 {"type": "Feature", "properties": {"parcel_id": "P4", "category": 3},
  "geometry": {"type": "Polygon", "coordinates": $(sq 400550 2800300 400610 2800400)}}
]}
JSON
cat > mines.geojson <<JSON
{"type": "FeatureCollection", $crs, "features": [
 {"type": "Feature", "properties": {"mine_id": "M1", "name": "铅锌矿"},
  "geometry": {"type": "Point", "coordinates": [400205, 2800995]}},
 {"type": "Feature", "properties": {"mine_id": "M3", "name": "east"},
  "geometry": {"type": "Point", "coordinates": [400605, 2800995]}}
]}
JSON

# 1. downstream: only P1 (valley floor, 600 m down the river) for M1.
expect_exit 0 "$TOOL" downstream --dem dem.tif --farmland farmland.geojson \
    --farmland-field id=parcel_id --sources mines.geojson --sources-field id=mine_id \
    --reach 10km --corridor 500m --max-height 10m --out out.gpkg --table t.csv
for l in flow_paths corridors downstream_parcels downstream_summary downstream_ranking; do
    ogrinfo -q out.gpkg "$l" >/dev/null 2>&1 || fail "layer $l missing"
done
ogrinfo -q -sql "SELECT source_id, parcel_id, chainage_m, area_m2 FROM downstream_parcels" \
    out.gpkg > parcels.txt
expect_in parcels.txt "parcel_id (String) = P1"
expect_in parcels.txt "chainage_m (Real) = 600"
expect_not_in parcels.txt "P2"
expect_not_in parcels.txt "P3"
expect_in parcels.txt "P4" # the east mine's own valley
n=$(grep -c "source_id (String) = M1" parcels.txt)
[ "$n" = 1 ] || fail "M1 should reach exactly P1, got $n pieces"
[ -s t_ranking.csv ] || fail "ranking CSV missing"
grep -q '^1,M1,' <(tr -d '\r' < t_ranking.csv | sed 's/^\xef\xbb\xbf//') ||
    grep -q '^1,M3,' <(tr -d '\r' < t_ranking.csv | sed 's/^\xef\xbb\xbf//') || fail "ranking rows"
ls .soilrisk-cache/*/filled.tif >/dev/null 2>&1 || fail "no cached conditioned DEM"
# QGIS styles: path with km ticks, corridor, parcels reached by category.
python3 "$SRC/tests/cli/check_styles.py" out.gpkg flow_paths=singleSymbol "flow_paths~MarkerLine" \
    corridors=singleSymbol downstream_parcels=categorizedSymbol downstream_parcels#3 \
    "downstream_parcels~优先保护类" >styles.txt || { fail "styles of out.gpkg"; cat styles.txt; }

# 2. The second run reuses the cache; an existing output needs --overwrite.
expect_exit 1 "$TOOL" downstream --dem dem.tif --farmland farmland.geojson \
    --sources mines.geojson --out out.gpkg
expect_exit 0 "$TOOL" downstream --dem dem.tif --farmland farmland.geojson \
    --farmland-field id=parcel_id --sources mines.geojson --out out.gpkg --overwrite
expect_in err.txt "cached"
expect_exit 2 "$TOOL" downstream --dem dem.tif --farmland farmland.geojson \
    --sources mines.geojson --reach abc --out out3.gpkg

# 3. upstream: the category-3 parcels' catchments; M1 drains to P1, M3 to P4.
expect_exit 0 "$TOOL" upstream --dem dem.tif --targets farmland.geojson --where "category=3" \
    --targets-field id=parcel_id --sources mines.geojson --sources-field id=mine_id \
    --out up.gpkg --table up.csv --sld --lang en
tr -d '\r' < up.csv | sed 's/^\xef\xbb\xbf//' > up.txt
expect_in up.txt "C1,1,"
grep -q '^C1,.*,M1,铅锌矿,600' up.txt || fail "M1 upstream of C1 at 600 m: $(cat up.txt)"
grep -q '^C2,.*,M3,east,' up.txt || fail "M3 upstream of C2: $(cat up.txt)"
for l in catchments targets upstream_sources upstream_links; do
    ogrinfo -q up.gpkg "$l" >/dev/null 2>&1 || fail "layer $l missing"
done
python3 "$SRC/tests/cli/check_styles.py" up.gpkg --sidecars catchments=singleSymbol \
    targets=singleSymbol upstream_sources=RuleRenderer "upstream_sources~Not upstream" \
    >styles.txt || { fail "styles of up.gpkg"; cat styles.txt; }
[ -e up_upstream_links.sld ] && fail "an SLD for an attribute table"
# 4. Project file: plan-sampling within the corridors a downstream step publishes as
#    "<step>.corridors": the plan's points lie on the category-3 parcels downstream (P1
#    for M1, P4 for M3), none elsewhere; an unknown step output is a usage error.
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
[rasters.dem]
path = "dem.tif"
[[steps]]
type = "downstream"
name = "down"
sources = "mines"
reach = "10km"
corridor = "500m"
max_height = "10m"
[[steps]]
type = "plan-sampling"
name = "plan"
within = "down.corridors"
target = "category = 3"
design = "stratified"
n = 2
min_distance = "10m"
inset = "1m"
seed = 7
TOML
expect_exit 0 "$TOOL" run proj.toml --lang en
ogrinfo -q -sql "SELECT parcel_id FROM plan" proj-out/plan.gpkg > plan.txt
grep -q "parcel_id (String) = P[14]" plan.txt || fail "no plan point on P1/P4: $(cat plan.txt)"
expect_not_in plan.txt "= P2"
expect_not_in plan.txt "= P3"
sed -i 's/down.corridors/nope.corridors/' proj.toml
expect_exit 2 "$TOOL" run proj.toml --lang en --overwrite
expect_in err.txt "no layer 'nope.corridors'"
finish
