#!/usr/bin/env python3
"""Compares two soilrisk output folders by content: CSV/GPX/KML/PNG byte for byte, XLSX by
sheet XML and shared strings (not the creation time in docProps), GeoPackage by every
table's rows (not the times GDAL stamps: gpkg_contents.last_change,
gpkg_metadata_reference.timestamp). The command line recorded in outputs differs between
the runs by `--threads N` and the output folder: both are masked. Prints each difference;
exit 1 if any. Usage: same_outputs.py DIR_A DIR_B [--skip NAME ...]"""
import hashlib
import os
import re
import sqlite3
import sys
import zipfile

SKIP_ALWAYS = {"manifest.json", "report.html"}  # record times and paths of the run


MASKS = []  # (regex, replacement) applied to all text before comparing


def mask(data):
    for rx, rep in MASKS:
        data = rx.sub(rep, data)
    return data


def rel_files(root):
    out = []
    for d, dirs, files in os.walk(root):
        dirs[:] = [x for x in dirs if not x.startswith(".")]
        for f in files:
            if not f.startswith("."):
                out.append(os.path.relpath(os.path.join(d, f), root))
    return sorted(out)


def xlsx_digest(path):
    h = hashlib.sha256()
    with zipfile.ZipFile(path) as z:
        for name in sorted(z.namelist()):
            if name.startswith("docProps/"):
                continue  # creation time
            h.update(name.encode())
            h.update(mask(z.read(name)))
    return h.hexdigest()


def gpkg_rows(path):
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    tables = [r[0] for r in con.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'rtree_%' "
        "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    rows = {}
    for t in tables:
        cols = [r[1] for r in con.execute(f'PRAGMA table_info("{t}")')]
        keep = [c for c in cols if not (t == "gpkg_contents" and c == "last_change")
                and not (t == "gpkg_metadata_reference" and c == "timestamp")
                and not (t == "layer_styles" and c == "update_time")]
        sel = ", ".join(f'"{c}"' for c in keep)
        rows[t] = [tuple(mask(v.encode()).decode() if isinstance(v, str) else
                         mask(v) if isinstance(v, bytes) else v for v in r)
                   for r in con.execute(f'SELECT {sel} FROM "{t}" ORDER BY rowid')]
    con.close()
    return rows


def digest(path):
    ext = os.path.splitext(path)[1].lower()
    if ext == ".xlsx":
        return xlsx_digest(path)
    if ext == ".gpkg":
        return gpkg_rows(path)
    with open(path, "rb") as f:
        return hashlib.sha256(mask(f.read())).hexdigest()


def main():
    a, b = sys.argv[1], sys.argv[2]
    MASKS.append((re.compile(rb"--threads[ =]\d+ ?"), b""))
    for d in (a, b):
        forms = {d, os.path.abspath(d), os.path.basename(os.path.normpath(d))}
        for form in sorted(forms, key=len, reverse=True):
            MASKS.append((re.compile(re.escape(form.encode()) + rb"\b"), b"OUT"))
    skip = set(SKIP_ALWAYS)
    if "--skip" in sys.argv:
        skip |= set(sys.argv[sys.argv.index("--skip") + 1:])
    fa = [f for f in rel_files(a) if os.path.basename(f) not in skip]
    fb = [f for f in rel_files(b) if os.path.basename(f) not in skip]
    bad = 0
    for f in sorted(set(fa) ^ set(fb)):
        print(f"only in one folder: {f}")
        bad += 1
    for f in sorted(set(fa) & set(fb)):
        da, db = digest(os.path.join(a, f)), digest(os.path.join(b, f))
        if da != db:
            bad += 1
            if isinstance(da, dict):
                diff = [t for t in sorted(set(da) | set(db)) if da.get(t) != db.get(t)]
                print(f"differs: {f} (tables {', '.join(diff)})")
            else:
                print(f"differs: {f}")
    print(f"{len(fa)} files compared, {bad} difference(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
