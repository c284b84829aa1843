#!/usr/bin/env bash
# soilrisk sites: a plot half on residential (07) and half on industrial (1001) land, a
# remediated plot on residential land, a receptor; CSV and XLSX tables, a project step,
# usage errors.
source "$(dirname "$0")/lib.bash"

crs='"crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4545"}}'
sq() { echo "[[[$1,$2],[$3,$2],[$3,$4],[$1,$4],[$1,$2]]]"; }
cat >sites.geojson <<JSON
{"type":"FeatureCollection",$crs,"features":[
 {"type":"Feature","properties":{"plot_id":"S1","name":"地块一","enterprise":"某化工厂","register":"priority","survey":"yes","risk_control":"no","county":"鱼峰区"},
  "geometry":{"type":"Polygon","coordinates":$(sq 400000 2800000 400100 2800100)}},
 {"type":"Feature","properties":{"plot_id":"S2","name":"地块二","enterprise":"某电镀厂","register":"remediated","survey":"no","risk_control":"yes","county":"柳南区"},
  "geometry":{"type":"Polygon","coordinates":$(sq 399000 2800000 399040 2800040)}}
]}
JSON
cat >plan.geojson <<JSON
{"type":"FeatureCollection",$crs,"features":[
 {"type":"Feature","properties":{"use_code":"0701","use_name":"城镇住宅用地"},
  "geometry":{"type":"Polygon","coordinates":$(sq 398000 2799000 400050 2801000)}},
 {"type":"Feature","properties":{"use_code":"1001","use_name":"工业用地"},
  "geometry":{"type":"Polygon","coordinates":$(sq 400050 2799000 402000 2801000)}}
]}
JSON
cat >receptors.geojson <<JSON
{"type":"FeatureCollection",$crs,"features":[
 {"type":"Feature","properties":{"name":"示例小学","kind":"school"},
  "geometry":{"type":"Point","coordinates":[400400,2800050]}}
]}
JSON

# 1. CSV tables.
expect_exit 0 "$TOOL" sites --sites sites.geojson --plan plan.geojson --receptors receptors.geojson \
  --receptor-distances 500m,1km --out out.gpkg --table t.csv --quiet
[ -s err.txt ] && fail "stderr not empty: $(cat err.txt)"
for f in out.gpkg t.csv t_sites.csv t_uses.csv t_receptors.csv t_progress.csv t_uncontrolled.csv; do
  [ -f "$f" ] || fail "$f not written"
done
[ "$(lines_of t.csv)" = 2 ] || fail "conflict table should have 1 row: $(cat t.csv)"
expect_in t.csv "S1"
expect_in t.csv "prohibited"
expect_not_in t.csv "S2"
expect_in t_uses.csv "0701,城镇住宅用地,1,residential"
expect_in t_uses.csv "1001,工业用地,0"
expect_in t_receptors.csv "示例小学,school,300.0,500,90.0,E,东"
expect_in t_progress.csv "priority,all,1,0,0.0000,0.3500,1,0"
expect_in t_uncontrolled.csv "S1"
ogrinfo -q out.gpkg >layers.txt 2>&1
for l in sites site_conflicts site_uses site_receptors site_progress site_uncontrolled; do
  expect_in layers.txt "$l"
done
ogrinfo -q out.gpkg -sql "select count(*) as n from layer_styles" >styles.txt 2>&1
expect_in styles.txt "n (Integer) = 4"
python3 "$SRC/tests/cli/check_styles.py" out.gpkg sites=categorizedSymbol sites#3 \
    site_conflicts#2 site_uses=categorizedSymbol site_receptors=singleSymbol \
    "sites~须先调查" >styles.txt || { fail "styles of out.gpkg"; cat styles.txt; }

# 2. XLSX, and outputs that exist.
expect_exit 0 "$TOOL" sites --sites sites.geojson --plan plan.geojson --out out2.gpkg --table t.xlsx --quiet
[ -s t.xlsx ] || fail "t.xlsx not written"
expect_exit 1 "$TOOL" sites --sites sites.geojson --plan plan.geojson --out out2.gpkg --quiet
expect_in err.txt "exists"

# 3. Usage errors: exit 2.
expect_exit 2 "$TOOL" sites --sites sites.geojson --plan plan.geojson --out o.shp
expect_exit 2 "$TOOL" sites --sites sites.geojson --plan plan.geojson --out o3.gpkg --receptor-distances 1km,500m
expect_exit 2 "$TOOL" sites --sites sites.geojson --plan plan.geojson --out o3.gpkg --compass 12
# A register value that cannot be read: exit 1, naming the field.
sed 's/"remediated"/"perhaps"/' sites.geojson >bad.geojson
expect_exit 1 "$TOOL" sites --sites bad.geojson --plan plan.geojson --out o4.gpkg
expect_in err.txt "register"

# 4. Project step.
mkdir -p proj
cp sites.geojson plan.geojson receptors.geojson proj/
cat >proj/project.toml <<'TOML'
[project]
name = "sites test"
out = "out"

[layers.sites]
path = "sites.geojson"
fields = { id = "plot_id" }

[layers.landuse_plan]
path = "plan.geojson"

[layers.receptors]
path = "receptors.geojson"

[[steps]]
type = "sites"
receptors = "receptors"
receptor_distances = [500, 1000]
table = "sites.csv"
TOML
expect_exit 0 "$TOOL" run proj/project.toml --quiet
[ -f proj/out/sites.gpkg ] || fail "project step wrote no sites.gpkg"
expect_in proj/out/sites.csv "prohibited"

finish
