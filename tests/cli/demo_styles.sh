#!/usr/bin/env bash
# The demo project (data/demo/project.toml) with --sld: every GeoPackage it writes carries
# a default QGIS style for each feature layer (layer_styles) and an SLD file beside it,
# listed in the manifest.
source "$(dirname "$0")/lib.bash"

expect_exit 0 "$TOOL" run "$SRC/data/demo/project.toml" --out demo --sld --quiet
n=0
for g in demo/*.gpkg; do
  n=$((n + 1))
  python3 "$SRC/tests/cli/check_styles.py" "$g" --sidecars >styles.txt ||
    { fail "styles of $g"; cat styles.txt; }
done
[ "$n" -ge 7 ] || fail "only $n GeoPackages in the demo output"
python3 - <<'PY' || fail "manifest does not list the SLD files as styles"
import json
m = json.load(open("demo/manifest.json", encoding="utf-8"))
outs = [o for s in m["steps"] for o in s["outputs"]]
slds = [o for o in outs if o["path"].endswith(".sld")]
assert len(slds) >= 20, len(slds)
assert all(o["kind"] == "style" for o in slds), slds[:3]
PY
finish
