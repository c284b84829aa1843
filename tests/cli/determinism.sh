#!/usr/bin/env bash
# Determinism: the demo project (every step type but hydro) run with one thread and with
# four gives the same tables, GeoPackage contents, GPX/KML and maps (same_outputs.py masks
# only the recorded command line and the times GDAL and XLSX stamp); the manifest records
# the version, each step's parameters and the SHA-256 of every input file.
source "$(dirname "$0")/lib.bash"

expect_exit 0 "$TOOL" --threads 1 run "$SRC/data/demo/project.toml" --out one --lang en
expect_exit 0 "$TOOL" --threads 4 run "$SRC/data/demo/project.toml" --out four --lang en
python3 "$SRC/tests/cli/same_outputs.py" one four > same.txt || fail "outputs differ by thread count"
cat same.txt
grep -q "^[3-9][0-9] files compared, 0 difference" same.txt || fail "too few files compared"

python3 - "$SRC" <<'PY' || fail "manifest"
import hashlib, json, os, sys
src = sys.argv[1]
m = json.load(open("four/manifest.json"))
assert m["soilrisk_version"], m
assert m["options"]["threads"] == 4, m["options"]
near = [s for s in m["steps"] if s["name"] == "near_mines"][0]
assert near["parameters"]["rings"] == "[0, 500, 1000, 2000]", near["parameters"]
ins = {i["key"]: i for i in m["inputs"]}
assert ins["dem"]["kind"] == "raster"
for key in ("farmland", "mines", "dem"):
    files = ins[key]["files"]
    assert files, key
    for f in files:
        path = f["path"] if os.path.isabs(f["path"]) else os.path.join(os.getcwd(), f["path"])
        assert hashlib.sha256(open(path, "rb").read()).hexdigest() == f["sha256"], f
        assert os.path.getsize(path) == f["bytes"], f
assert ins["farmland"]["features"] > 10000, ins["farmland"]
PY
finish
