#!/usr/bin/env bash
# Interruption: a long run killed midway (SIGINT, then SIGTERM) exits 130 / 143, leaves
# no temporary or partial file, and the previous outputs stay byte for byte as they were.
source "$(dirname "$0")/lib.bash"

# A 30 M-cell DEM (the demo's, resampled 4×): conditioning takes seconds, not milliseconds.
gdal_translate -q -outsize 400% 400% -r bilinear "$SRC/data/demo/dem.tif" big.tif ||
    fail "gdal_translate"

# Previous outputs: the small demo DEM conditioned into out/.
expect_exit 0 "$TOOL" hydro condition --dem "$SRC/data/demo/dem.tif" --out out
sha256sum out/* > before.sha
[ "$(lines_of before.sha)" -ge 4 ] || fail "expected at least 4 outputs: $(cat before.sha)"

interrupt() { # SIGNAL EXPECTED_EXIT early|writing
    "$TOOL" hydro condition --dem big.tif --out out --overwrite >out.txt 2>err.txt &
    local pid=$!
    if [ "$3" = writing ]; then # wait until an output is being written
        for _ in $(seq 600); do
            [ -n "$(find out -name '.*tmp*' -type f 2>/dev/null)" ] && break
            sleep 0.1
        done
        [ -n "$(find out -name '.*tmp*' -type f)" ] || fail "SIG$1: no temporary output seen"
    else
        sleep 0.5 # the run takes about 2 s on a fast 2-core machine
    fi
    kill -s "$1" "$pid"
    wait "$pid"
    local got=$?
    [ "$got" = "$2" ] || { fail "SIG$1: exit $got, expected $2"; cat err.txt; }
    expect_in err.txt "interrupted"
    sha256sum -c --quiet before.sha || fail "SIG$1: previous outputs changed"
    local left
    left=$(find out -name '.*' -type f)
    [ -z "$left" ] || fail "SIG$1: temporary files left: $left"
    [ "$(find out -type f | wc -l)" = "$(lines_of before.sha)" ] || fail "SIG$1: files added: $(ls -a out)"
}
interrupt INT 130 early
interrupt TERM 143 early
# While the rasters are being written: their temporary files go too.
interrupt INT 130 writing
interrupt TERM 143 writing

# A project run killed midway: what it wrote before is whole (opens), nothing partial.
"$TOOL" run "$SRC/data/demo/project.toml" --out proj >out.txt 2>err.txt &
pid=$!
sleep 3
kill -s INT "$pid"
wait "$pid"
got=$?
[ "$got" = 130 ] || [ "$got" = 0 ] || fail "project run: exit $got"
left=$(find proj -name '.*tmp*' -type f)
[ -z "$left" ] || fail "project run: temporary files left: $left"
for f in proj/*.gpkg; do
    [ -e "$f" ] || continue
    ogrinfo -q -so "$f" >/dev/null 2>&1 || fail "project run: $f does not open"
done
finish
