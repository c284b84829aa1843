#!/usr/bin/env bash
# soilrisk map: templates and styles to PNG/PDF/SVG, map series, errors; the map step and
# report.html of soilrisk run.
source "$(dirname "$0")/lib.bash"

# Three parcels (categories 1, 3, 3) around two mines, GK CM 108E (EPSG:4545).
cat >farmland.geojson <<'JSON'
{"type":"FeatureCollection","name":"farmland",
 "crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4545"}},
 "features":[
 {"type":"Feature","properties":{"parcel_id":"A","category":1},
  "geometry":{"type":"Polygon","coordinates":[[[600000,2700000],[601000,2700000],[601000,2701000],[600000,2701000],[600000,2700000]]]}},
 {"type":"Feature","properties":{"parcel_id":"B","category":3},
  "geometry":{"type":"Polygon","coordinates":[[[602000,2700000],[603000,2700000],[603000,2701000],[602000,2701000],[602000,2700000]]]}},
 {"type":"Feature","properties":{"parcel_id":"C","category":3},
  "geometry":{"type":"Polygon","coordinates":[[[620000,2720000],[621000,2720000],[621000,2721000],[620000,2721000],[620000,2720000]]]}}
]}
JSON
cat >mines.geojson <<'JSON'
{"type":"FeatureCollection","name":"mines",
 "crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4545"}},
 "features":[
 {"type":"Feature","properties":{"mine_id":"M1","name":"大厂铅锌矿"},"geometry":{"type":"Point","coordinates":[601500,2701500]}},
 {"type":"Feature","properties":{"mine_id":"M2","name":"拉么锌矿"},"geometry":{"type":"Point","coordinates":[620500,2721500]}}
]}
JSON

# PNG at a pixel size; the farmland template with mines.
expect_exit 0 "$TOOL" map --template farmland --layer farmland=farmland.geojson \
  --layer mines=mines.geojson --out farm.png --size 1200x850 --dpi 100 -q
python3 - <<'PY' || fail "farm.png is not a 1200x850 PNG"
import struct
b = open("farm.png", "rb").read()
assert b[:8] == b"\x89PNG\r\n\x1a\n"
w, h = struct.unpack(">II", b[16:24])
assert (w, h) == (1200, 850), (w, h)
PY
# An existing output needs --overwrite.
expect_exit 1 "$TOOL" map --template farmland --layer farmland=farmland.geojson --out farm.png
expect_in err.txt "--overwrite"

# PDF series: one A3 portrait page per mine.
expect_exit 0 "$TOOL" map --template farmland --layer farmland=farmland.geojson \
  --layer mines=mines.geojson --each mine_id --min-extent 5km --out series.pdf --size A3-portrait
if command -v pdfinfo >/dev/null; then
  pdfinfo series.pdf >info.txt 2>&1
  expect_in info.txt "Pages:           2"
  expect_in info.txt "841.89 x 1190.55 pts (A3)"
else
  fail "pdfinfo missing (apt-get install poppler-utils)"
fi
expect_in err.txt "mine_id M1"
expect_in err.txt "mine_id M2"

# PNG/SVG series: one file per value; SVG well-formed.
expect_exit 0 "$TOOL" map --template farmland --layer farmland=farmland.geojson \
  --layer mines=mines.geojson --each mine_id --out series.svg -q
[ -f series_M1.svg ] && [ -f series_M2.svg ] || fail "series SVGs missing"
python3 -c "import xml.dom.minidom,sys; xml.dom.minidom.parse('series_M1.svg')" || fail "SVG not well-formed"

# English labels, a style file of one's own.
cat >style.toml <<'TOML'
[style]
name = "mine"
title = "矿点"
title_en = "Mines"
[[layers]]
name = "mines"
marker = "triangle"
fill = "#ff0000"
label = "name"
TOML
expect_exit 0 "$TOOL" map --style style.toml --layer mines=mines.geojson --out mines.pdf --lang en -q
[ -s mines.pdf ] || fail "mines.pdf not written"

# Errors: bad extension, missing layer, bad size, unknown template, bad style key.
expect_exit 2 "$TOOL" map --template farmland --layer farmland=farmland.geojson --out map.jpg
expect_in err.txt ".png, .pdf or .svg"
expect_exit 2 "$TOOL" map --template near --layer farmland=farmland.geojson --out near.png
expect_in err.txt "pieces"
expect_exit 2 "$TOOL" map --template farmland --layer farmland=farmland.geojson --out x.png --size B5
expect_in err.txt "A4"
expect_exit 2 "$TOOL" map --template nope --layer farmland=farmland.geojson --out x.png
expect_in err.txt "plan-sampling"
printf '[[layers]]\nname = "mines"\ncolour = "#fff"\n' >bad.toml
expect_exit 2 "$TOOL" map --style bad.toml --layer mines=mines.geojson --out x.png
expect_in err.txt "bad.toml:3"
[ ! -e x.png ] || fail "x.png written despite errors"

# A project with a map step: the map and report.html with the map embedded.
mkdir -p proj
cp farmland.geojson mines.geojson proj/
cat >proj/project.toml <<'TOML'
[project]
name = "地图测试"
out = "out"
crs = "EPSG:4545"

[layers.farmland]
path = "farmland.geojson"
fields = { category = "category" }

[layers.mines]
path = "mines.geojson"

[[steps]]
type = "area-summary"
by = ["category"]
area = "planar"
out = "area.csv"

[[steps]]
type = "map"
name = "mine-maps"
template = "farmland"
each = "mine_id"
min_extent = "5km"
dpi = 72
TOML
expect_exit 0 "$TOOL" run proj/project.toml
[ -f proj/out/maps/mine-maps_M1.png ] || fail "series map M1 not written"
[ -f proj/out/report.html ] || fail "report.html not written"
expect_in proj/out/report.html "data:image/png;base64,iVBORw0KGgo"
expect_in proj/out/report.html "耕地土壤环境质量类别分布图"
expect_in proj/out/report.html "area-summary"
expect_in proj/out/report.html "EPSG:4545"
expect_in proj/out/manifest.json "\"kind\": \"map\""
[ "$(grep -o 'data:image/png;base64' proj/out/report.html | wc -l)" = 2 ] || fail "report should embed 2 maps"
expect_exit 0 "$TOOL" run proj/project.toml --overwrite --lang en
expect_in proj/out/report.html "Run report"
finish
