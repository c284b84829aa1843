#!/usr/bin/env python3
"""Checks the QGIS styles of a GeoPackage soilrisk wrote (used by the CLI tests).

usage: check_styles.py GPKG [EXPECT ...] [--sidecars]

Every table that gpkg_contents lists as 'features' must have exactly one default row in
layer_styles (useAsDefault = 1, f_geometry_column = its geometry column) whose styleQML
parses as a <qgis> document with a <renderer-v2> and whose styleSLD parses as a
StyledLayerDescriptor. EXPECT items:
  LAYER=TYPE    the renderer type (singleSymbol, categorizedSymbol, graduatedSymbol,
                RuleRenderer)
  LAYER#N       N classes (categories, ranges, or rules with a symbol)
  LAYER~TEXT    TEXT occurs in the QML (e.g. a legend label in the run's language)
--sidecars: each styled layer's SLD is also in <stem>_<layer>.sld next to the GeoPackage.
Prints one line per layer; exits 1 listing every problem.
"""
import os
import sqlite3
import sys
import xml.etree.ElementTree as ET


def main():
    gpkg, args = sys.argv[1], sys.argv[2:]
    sidecars = "--sidecars" in args
    args = [a for a in args if a != "--sidecars"]
    db = sqlite3.connect(f"file:{gpkg}?mode=ro", uri=True)
    problems = []
    features = [r[0] for r in db.execute(
        "SELECT table_name FROM gpkg_contents WHERE data_type = 'features' ORDER BY table_name")]
    if not features:
        problems.append("no feature tables")
    has_styles = db.execute(
        "SELECT count(*) FROM sqlite_master WHERE name = 'layer_styles'").fetchone()[0]
    found = {}
    for t in features:
        if not has_styles:
            problems.append(f"{t}: no layer_styles table")
            continue
        geom = db.execute("SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?",
                          (t,)).fetchone()[0]
        rows = db.execute("SELECT styleQML, styleSLD, f_geometry_column FROM layer_styles "
                          "WHERE f_table_name = ? AND useAsDefault = 1", (t,)).fetchall()
        if len(rows) != 1:
            problems.append(f"{t}: {len(rows)} default styles")
            continue
        qml, sld, gcol = rows[0]
        if gcol != geom:
            problems.append(f"{t}: f_geometry_column {gcol!r}, expected {geom!r}")
        try:
            q = ET.fromstring(qml)
        except ET.ParseError as e:
            problems.append(f"{t}: QML does not parse: {e}")
            continue
        r = q.find("renderer-v2")
        if q.tag != "qgis" or r is None:
            problems.append(f"{t}: QML without <qgis><renderer-v2>")
            continue
        kind = r.get("type")
        n = len(r.findall("./categories/category")) + len(r.findall("./ranges/range")) + \
            len([x for x in r.iter("rule") if x.get("symbol") is not None])
        if kind == "singleSymbol":
            n = 1
        if not r.findall("./symbols/symbol"):
            problems.append(f"{t}: no symbols")
        try:
            s = ET.fromstring(sld.encode("utf-8"))
            if not s.tag.endswith("StyledLayerDescriptor"):
                problems.append(f"{t}: SLD root is {s.tag}")
        except ET.ParseError as e:
            problems.append(f"{t}: SLD does not parse: {e}")
        if sidecars:
            stem = os.path.splitext(gpkg)[0]
            path = f"{stem}_{t}.sld"
            if not os.path.exists(path):
                problems.append(f"{t}: no sidecar {path}")
            elif open(path, encoding="utf-8").read() != sld:
                problems.append(f"{t}: sidecar {path} differs from styleSLD")
        found[t] = (kind, n, qml)
        print(f"{os.path.basename(gpkg)}: {t}: {kind}, {n} class(es)")
    for a in args:
        at = [i for i in (a.find("="), a.find("#"), a.find("~")) if i > 0]
        if not at:
            problems.append(f"bad expectation {a!r}")
            continue
        sep = a[min(at)]
        layer, want = a[:min(at)], a[min(at) + 1:]
        if layer not in found:
            problems.append(f"{layer}: not a styled feature layer (have {sorted(found)})")
            continue
        kind, n, qml = found[layer]
        if sep == "=" and kind != want:
            problems.append(f"{layer}: renderer {kind}, expected {want}")
        if sep == "#" and n != int(want):
            problems.append(f"{layer}: {n} classes, expected {want}")
        if sep == "~" and want not in qml:
            problems.append(f"{layer}: {want!r} not in the QML")
    for p in problems:
        print(f"FAIL: {gpkg}: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
