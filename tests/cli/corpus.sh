#!/usr/bin/env bash
# Bad-input corpus through the tool (issue 9): broken variants of the demo inputs.
# Each case must exit 1 (bad data) or 2 (bad usage), never crash (exit >= 128), print
# exactly one "soilrisk: error:" line naming the problem (no raw GDAL messages), and
# leave no output behind.
# Case ids continue tests/unit/hardening/CORPUS.md (C..).
source "$(dirname "$0")/lib.bash"
DEMO="$SRC/data/demo"

# bad ID CODE NEEDLE OUTPUT -- CMD...: runs CMD and checks the outcome.
bad() {
  local id="$1" want="$2" needle="$3" output="$4"; shift 5
  "$@" >out.txt 2>err.txt; local got=$?
  if [ "$got" -ge 128 ]; then fail "$id: crashed (exit $got)"; cat err.txt; return; fi
  [ "$got" = "$want" ] || { fail "$id: exit $got, expected $want"; sed 's/^/  | /' err.txt | head; }
  local n; n=$(grep -c '^soilrisk: error:' err.txt)
  [ "$n" = 1 ] || fail "$id: $n error lines on stderr, expected 1"
  expect_not_in err.txt "internal error"
  ! grep -qE '^(ERROR|Warning) [0-9]+:' err.txt || fail "$id: raw GDAL message on stderr"
  grep -qF -- "$needle" err.txt || { fail "$id: '$needle' not in the error"; sed 's/^/  | /' err.txt | head; }
  [ -z "$output" ] || [ ! -e "$output" ] || fail "$id: output $output left behind"
}

# Good inputs, small: 40 parcels within 2 km of mine 1, the mines, 19 samples.
SPAT="611423 2760331 615423 2764331"
ogr2ogr -q -f GPKG farm.gpkg "$DEMO/farmland.gpkg" farmland -spat $SPAT -limit 40
ogr2ogr -q -f "ESRI Shapefile" -lco ENCODING=UTF-8 farm.shp "$DEMO/farmland.gpkg" farmland \
  -spat $SPAT -limit 40 2>/dev/null
cp "$DEMO/mines.gpkg" mines.gpkg

# C01 shapefile without .shx
mkdir -p c01 && cp farm.shp farm.dbf farm.prj c01/
bad C01 1 ".shx" c01.gpkg -- "$TOOL" near --farmland c01/farm.shp --sources mines.gpkg --sources-layer mines --out c01.gpkg
# C02 truncated .shp
mkdir -p c02 && cp farm.shx farm.dbf farm.prj c02/ && head -c $(( $(stat -c %s farm.shp) - 100 )) farm.shp > c02/farm.shp
bad C02 1 "truncated" c02.gpkg -- "$TOOL" near --farmland c02/farm.shp --sources mines.gpkg --sources-layer mines --out c02.gpkg
# C03 truncated .dbf
mkdir -p c03 && cp farm.shx farm.shp farm.prj c03/ && head -c $(( $(stat -c %s farm.dbf) - 50 )) farm.dbf > c03/farm.dbf
bad C03 1 "truncated" c03.gpkg -- "$TOOL" near --farmland c03/farm.shp --sources mines.gpkg --sources-layer mines --out c03.gpkg
# C04 shapefile without .prj
mkdir -p c04 && cp farm.shx farm.shp farm.dbf c04/
bad C04 1 "--farmland-assume-crs" c04.gpkg -- "$TOOL" near --farmland c04/farm.shp --sources mines.gpkg --sources-layer mines --out c04.gpkg
# C05 empty sources layer
ogr2ogr -q -f GPKG empty.gpkg mines.gpkg mines -where "mine_id = 'none'"
bad C05 1 "has no features" c05.gpkg -- "$TOOL" near --farmland farm.gpkg --sources empty.gpkg --out c05.gpkg
# C06 unknown category code
ogr2ogr -q -f GPKG c06.gpkg farm.gpkg farmland -sql "SELECT parcel_id, 7 AS category, geom FROM farmland" -nln farmland 2>/dev/null
bad C06 1 "category '7'" c06-out.gpkg -- "$TOOL" near --farmland c06.gpkg --sources mines.gpkg --sources-layer mines --out c06-out.gpkg
# C07 lat/lon swapped in a GeoJSON
cat > c07.geojson <<'JSON'
{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"mine_id":"M"},
 "geometry":{"type":"Point","coordinates":[25.6,109.2]}}]}
JSON
bad C07 1 "swapped" c07.gpkg -- "$TOOL" near --farmland farm.gpkg --sources c07.geojson --out c07.gpkg
# C08 samples with pH outside 0-14
{ head -1 "$DEMO/soil_samples.csv"; sed -n 2,20p "$DEMO/soil_samples.csv"; } > s.csv
sed '3s/,5\.[0-9]*,/,15.2,/' s.csv > c08.csv
bad C08 1 "outside 0-14" c08.gpkg -- "$TOOL" classify --farmland farm.gpkg --samples c08.csv --default-landuse other --out c08.gpkg
# C09 samples with an em dash in a concentration column
awk -F, 'BEGIN{OFS=","} NR==4{$5="—"} {print}' s.csv > c09.csv
bad C09 1 "'—'" c09.gpkg -- "$TOOL" classify --farmland farm.gpkg --samples c09.csv --default-landuse other --out c09.gpkg
# C10 samples with a negative concentration
awk -F, 'BEGIN{OFS=","} NR==5{$6="-3.1"} {print}' s.csv > c10.csv
bad C10 1 "negative" c10.gpkg -- "$TOOL" classify --farmland farm.gpkg --samples c10.csv --default-landuse other --out c10.gpkg
# C11 DEM with every cell nodata
printf 'ncols 3\nnrows 3\nxllcorner 400000\nyllcorner 2700000\ncellsize 10\nNODATA_value -9999\n-9999 -9999 -9999\n-9999 -9999 -9999\n-9999 -9999 -9999\n' > nd.asc
gdal_translate -q -a_srs EPSG:4545 nd.asc nd.tif
bad C11 1 "no valid elevation" c11/filled.tif -- "$TOOL" hydro condition --dem nd.tif --out c11
# C12 rotated DEM (a VRT with a rotated geotransform over a good GeoTIFF)
printf 'ncols 3\nnrows 3\nxllcorner 400000\nyllcorner 2700000\ncellsize 10\n1 2 3\n4 5 6\n7 8 9\n' > ok.asc
gdal_translate -q -a_srs EPSG:4545 ok.asc ok.tif
cat > rot.vrt <<'XML'
<VRTDataset rasterXSize="3" rasterYSize="3">
  <GeoTransform>400000, 10, 2, 2700030, 2, -10</GeoTransform>
  <VRTRasterBand dataType="Float32" band="1">
    <SimpleSource><SourceFilename relativeToVRT="1">ok.tif</SourceFilename><SourceBand>1</SourceBand></SimpleSource>
  </VRTRasterBand>
</VRTDataset>
XML
bad C12 1 "rotated or sheared" c12/filled.tif -- "$TOOL" hydro condition --dem rot.vrt --out c12
# C13 DEM that is a text file
echo "not a raster" > c13.tif
bad C13 1 "c13.tif" c13/filled.tif -- "$TOOL" hydro condition --dem c13.tif --out c13
# C14 project file with an unknown key
printf '[project]\nname = "x"\noutput = "out"\n' > c14.toml
bad C14 2 "unknown key 'output'" "" -- "$TOOL" run c14.toml --out c14
[ ! -e c14 ] || fail "C14: output folder created"
# C15 project file whose layer path does not exist
printf '[layers.farmland]\npath = "missing.gpkg"\n[[steps]]\ntype = "area-summary"\nfarmland = "farmland"\nout = "a.csv"\n' > c15.toml
bad C15 1 "missing.gpkg" "" -- "$TOOL" run c15.toml --out c15
[ ! -e c15 ] || fail "C15: output folder created"
# C16 project file with a wrong type
printf '[layers.farmland]\npath = 42\n' > c16.toml
bad C16 2 "'path' must be a string" "" -- "$TOOL" run c16.toml --out c16
# C17 project file in GBK
printf '[project]\nname = "\xc1\xf8\xd6\xdd"\n' > c17.toml
bad C17 2 "c17.toml:2:" "" -- "$TOOL" run c17.toml --out c17
# C18 info on a zero-byte GeoPackage
: > c18.gpkg
bad C18 1 "c18.gpkg" "" -- "$TOOL" info c18.gpkg
finish
