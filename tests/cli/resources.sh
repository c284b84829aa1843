#!/usr/bin/env bash
# Resource limits: work larger than the memory budget (--max-memory, SOILRISK_MAX_MEMORY)
# is refused before it starts, with an estimate and a suggestion, and writes nothing.
source "$(dirname "$0")/lib.bash"

# The demo DEM is 1292 × 1430 = 1,847,560 cells: ~15 bytes a cell + 64 MB is ~91 MB.
expect_exit 1 "$TOOL" --max-memory 50M hydro condition --dem "$SRC/data/demo/dem.tif" --out h
expect_in err.txt "dem.tif: a 1292 × 1430 DEM (1847560 cells) needs about"
expect_in err.txt "more than the 50 MB available"
expect_in err.txt "gdal_translate -projwin"
[ "$(lines_of err.txt)" = 1 ] || fail "error is not one line: $(cat err.txt)"
[ ! -e h ] || [ -z "$(ls -A h)" ] || fail "refused run wrote $(ls -A h)"
expect_exit 0 "$TOOL" --max-memory 2G hydro condition --dem "$SRC/data/demo/dem.tif" --out h

# Vector layers: about three times their size on disk.
SOILRISK_MAX_MEMORY=1M expect_exit 1 "$TOOL" info "$SRC/data/demo/farmland.gpkg"
expect_in err.txt "farmland.gpkg, layer farmland needs about"
expect_in err.txt "one county at a time"
expect_exit 2 "$TOOL" --max-memory 12Q info "$SRC/data/demo/farmland.gpkg"
expect_in err.txt "--max-memory: '12Q' is not a size"
finish
