#!/usr/bin/env bash
# The hydro step of a project file, and a geographic DEM reprojected to the project's
# working CRS (hydro, downstream and `soilrisk hydro condition --crs`).
#
# Terrain: a 0.001° CGCS2000 (EPSG:4490) DEM near Liuzhou, 40 × 60 cells, a V-shaped
# valley along column 20 (109.4205°E) falling 1 m per row to the south, sides rising
# 3 m per column. The project works in EPSG:4545 (GK CM 108E) with 50 m cells.
source "$(dirname "$0")/lib.bash"

mkdir -p proj
python3 - <<'PY'
rows, cols = 60, 40
with open("proj/dem.asc", "w") as f:
    f.write(f"ncols {cols}\nnrows {rows}\nxllcorner 109.4\nyllcorner 24.3\n"
            "cellsize 0.001\nNODATA_value -9999\n")
    for r in range(rows):
        f.write(" ".join(str(200 + 3 * abs(c - 20) + (rows - 1 - r)) for c in range(cols)) + "\n")
PY
gdal_translate -q -a_srs EPSG:4490 -ot Float32 proj/dem.asc proj/dem.tif || fail "gdal_translate"

# Mine M1 at the head of the valley; parcel V on the valley floor 4 km south of it;
# parcel R on the western slope at the same latitude, 60+ m above the valley floor.
cat >proj/mines.geojson <<'JSON'
{"type":"FeatureCollection","name":"mines",
 "crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4490"}},
 "features":[
 {"type":"Feature","properties":{"mine_id":"M1","name":"valley head"},
  "geometry":{"type":"Point","coordinates":[109.4205,24.3555]}}]}
JSON
cat >proj/farmland.geojson <<'JSON'
{"type":"FeatureCollection","name":"farmland",
 "crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4490"}},
 "features":[
 {"type":"Feature","properties":{"pid":"V","lb":3},
  "geometry":{"type":"Polygon","coordinates":[[[109.4198,24.3150],[109.4212,24.3150],[109.4212,24.3170],[109.4198,24.3170],[109.4198,24.3150]]]}},
 {"type":"Feature","properties":{"pid":"R","lb":3},
  "geometry":{"type":"Polygon","coordinates":[[[109.4005,24.3150],[109.4025,24.3150],[109.4025,24.3170],[109.4005,24.3170],[109.4005,24.3150]]]}}]}
JSON
cat >proj/project.toml <<'TOML'
[project]
name = "hydro"
out = "out"
crs = "EPSG:4545"

[layers.farmland]
path = "farmland.geojson"
fields = { id = "pid", category = "lb" }

[layers.mines]
path = "mines.geojson"
fields = { id = "mine_id", name = "name" }

[rasters.dem]
path = "dem.tif"

[[steps]]
type = "hydro"
name = "terrain"
dem = "dem"
dem_cell_size = "50m"
stream_area = "1km2"
trace = "mines"
max_length = "20km"
catchments = "farmland"

[[steps]]
type = "downstream"
name = "down"
dem = "dem"
dem_cell_size = "50m"
farmland = "farmland"
sources = "mines"
reach = "10km"
corridor = "300m"
max_height = "10m"
table = "down.csv"
TOML
expect_exit 0 "$TOOL" run proj/project.toml --lang en
expect_in err.txt "reprojected to"
for f in filled.tif d8.tif accumulation.tif streams.gpkg traces.gpkg catchments.gpkg; do
    [ -f "proj/out/terrain/$f" ] || fail "terrain/$f not written"
done
info=$(gdalinfo proj/out/terrain/filled.tif)
grep -q 'ID\["EPSG",4545\]' <<<"$info" || fail "filled.tif is not in EPSG:4545"
grep -q "Pixel Size = (50.000000000000000,-50.000000000000000)" <<<"$info" ||
    fail "filled.tif cells are not 50 m: $(grep 'Pixel Size' <<<"$info")"
grep -q "SOILRISK_DEM_WARP_RESAMPLING=bilinear" <<<"$info" || fail "no reprojection record"
python3 - <<'PY' || fail "manifest lacks the hydro outputs"
import json
m = json.load(open("proj/out/manifest.json"))
paths = [o["path"] for s in m["steps"] if s["name"] == "terrain" for o in s["outputs"]]
for f in ["filled.tif", "d8.tif", "accumulation.tif", "streams.gpkg", "traces.gpkg",
          "catchments.gpkg"]:
    assert any(p.endswith("terrain/" + f) for p in paths), (f, paths)
PY

# The mine's path runs down the valley to the southern edge: about 5.5 km (lat
# 24.3555 → 24.3005, 1 m per 0.001°), chainage in true metres on the 50 m grid.
ogr2ogr -q -f CSV traces.csv proj/out/terrain/traces.gpkg paths
python3 - <<'PY' || fail "trace wrong"
import csv
rows = list(csv.DictReader(open("traces.csv")))
assert len(rows) == 1 and rows[0]["source_id"] == "M1", rows
length = float(rows[0]["length_m"])
assert 5500 <= length <= 6300, length
assert rows[0]["stop_reason"] in ("dem_edge", "nodata"), rows[0]["stop_reason"]
PY
# The valley parcel's catchment is the valley above it (≈ 4 km × the valley's width),
# the slope parcel's only the slope above it.
ogr2ogr -q -f CSV catch.csv proj/out/terrain/catchments.gpkg catchments
python3 - <<'PY' || fail "catchments wrong"
import csv
rows = {r["target_id"]: r for r in csv.DictReader(open("catch.csv"))}
assert set(rows) == {"V", "R"}, rows
assert float(rows["V"]["area_m2"]) > 10 * float(rows["R"]["area_m2"]), rows
assert float(rows["V"]["area_m2"]) > 5e6, rows["V"]["area_m2"]
PY

# Downstream over the reprojected DEM: the valley parcel is reached about 4 km down
# the path, the slope parcel (60 m above the floor) is not.
ogr2ogr -q -f CSV parcels.csv proj/out/down.gpkg downstream_parcels
python3 - <<'PY' || fail "downstream parcels wrong"
import csv
rows = list(csv.DictReader(open("parcels.csv")))
ids = {r["parcel_id"] for r in rows}
assert ids == {"V"}, ids
ch = min(float(r["chainage_m"]) for r in rows)
assert 4000 <= ch <= 4700, ch
PY

# The same reprojection from the command line; --cell-size needs --crs.
expect_exit 0 "$TOOL" --quiet hydro condition --dem proj/dem.tif --out cond --crs EPSG:4545 \
    --cell-size 50m
gdalinfo cond/d8.tif | grep -q 'ID\["EPSG",4545\]' || fail "hydro condition --crs"
# Traces from that folder read the original elevations through the same reprojection
# (recorded in filled.tif), with or without --dem.
for dem in "" "--dem proj/dem.tif"; do
    rm -f tr.gpkg
    # shellcheck disable=SC2086
    expect_exit 0 "$TOOL" --quiet hydro trace --conditioned cond $dem --from proj/mines.geojson \
        --out tr.gpkg
    nulls=$(ogrinfo -q -sql "SELECT COUNT(*) AS n FROM profile WHERE elevation_m IS NULL" tr.gpkg |
        sed -n 's/.*n (Integer) = //p')
    first=$(ogrinfo -q -sql "SELECT elevation_m AS z FROM profile WHERE vertex = 0" tr.gpkg |
        sed -n 's/.*z (Real) = //p')
    [ "$nulls" = 0 ] || fail "trace ($dem): $nulls vertices without elevation"
    # The mine's cell: about 200 + 3·0 + 55 m on the valley floor (bilinear).
    awk -v z="$first" 'BEGIN { exit !(z > 250 && z < 262) }' || fail "trace ($dem): start at $first m"
done
expect_exit 2 "$TOOL" hydro condition --dem proj/dem.tif --out cond2 --cell-size 50m
expect_in err.txt "--cell-size: give --crs too"
expect_exit 2 "$TOOL" hydro condition --dem proj/dem.tif --out cond2 --crs EPSG:4490 \
    --cell-size 50m
expect_in err.txt "is geographic"
expect_exit 2 "$TOOL" hydro condition --dem proj/dem.tif --out cond2 --crs EPSG:9999999
expect_in err.txt "--crs: 'EPSG:9999999' is not a known CRS"
[ "$(lines_of err.txt)" = 1 ] || fail "one error line expected: $(cat err.txt)"
[ -e cond2 ] && fail "a refused run left cond2 behind"
finish
