#!/usr/bin/python3
"""Generate the soilrisk demo data set in data/demo/ (run from the repository root
through scripts/gen_demo.sh).  Deterministic: fixed seeds, no timestamps.

Real data copied: administrative boundaries (DataV GeoAtlas, GCJ-02 -> WGS84) and
GSHHG WDB-II river lines.  Everything else is SYNTHETIC."""

import csv
import io
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True   # keep scripts/gen_demo free of __pycache__

import numpy as np  # noqa: E402
from osgeo import ogr  # noqa: E402

from common import ADMIN_GPKG, COUNTIES, RIVERS_GPKG, add_feature, make_layer, new_gpkg  # noqa: E402
import farmland  # noqa: E402
import mines  # noqa: E402
import samples  # noqa: E402
import sites  # noqa: E402
import terrain  # noqa: E402

OUT = os.path.join(os.getcwd(), "data", "demo")
T0 = time.time()


def log(msg):
    print(f"[{time.time() - T0:6.1f}s] {msg}", flush=True)


def point(x, y):
    p = ogr.Geometry(ogr.wkbPoint)
    p.AddPoint_2D(float(x), float(y))
    return p


def write_admin(path):
    out = new_gpkg(path)
    for src_path, layers in ((ADMIN_GPKG, ["liuzhou_counties", "liuzhou_city"]), (RIVERS_GPKG, ["rivers"])):
        src = ogr.Open(src_path)
        for name in layers:
            out.CopyLayer(src.GetLayerByName(name), name)
    out = None


def write_farmland(path, parcels):
    ds = new_gpkg(path)
    lyr = make_layer(ds, "farmland", ogr.wkbPolygon, [
        ("parcel_id", ogr.OFTString, 13), ("dlbm", ogr.OFTString, 5), ("dlmc", ogr.OFTString),
        ("category", ogr.OFTInteger), ("county", ogr.OFTString), ("county_code", ogr.OFTString, 6),
        ("measures", ogr.OFTString, 3), ("tbmj", ogr.OFTReal)])
    ds.StartTransaction()
    for p in parcels:
        add_feature(lyr, p["geom"], {k: p[k] for k in (
            "parcel_id", "dlbm", "dlmc", "category", "county", "county_code", "measures", "tbmj")})
    ds.CommitTransaction()
    ds = None


def write_mines(path, ms, ponds):
    ds = new_gpkg(path)
    lyr = make_layer(ds, "mines", ogr.wkbPoint, [
        ("mine_id", ogr.OFTString), ("name", ogr.OFTString), ("mineral", ogr.OFTString),
        ("county", ogr.OFTString), ("status", ogr.OFTString), ("note", ogr.OFTString)])
    for m in ms:
        add_feature(lyr, point(m["x"], m["y"]), {
            "mine_id": m["mine_id"], "name": m["name"], "mineral": m["mineral"],
            "county": COUNTIES[m["county_code"]], "status": "historic", "note": "illustrative position"})
    lyr = make_layer(ds, "tailings", ogr.wkbPolygon, [
        ("mine_id", ogr.OFTString), ("name", ogr.OFTString), ("note", ogr.OFTString)])
    for t in ponds:
        add_feature(lyr, t["geom"], {"mine_id": t["mine_id"], "name": t["name"],
                                     "note": "synthetic tailings pond, illustrative"})
    ds = None


ELEMS = ["cd", "pb", "as", "hg", "cr", "cu", "ni", "zn"]


def write_samples(gpkg_path, csv_path, ss):
    ds = new_gpkg(gpkg_path)
    fields = [("sample_id", ogr.OFTString), ("lon", ogr.OFTReal), ("lat", ogr.OFTReal), ("ph", ogr.OFTReal)]
    fields += [(e, ogr.OFTReal) for e in ELEMS]
    fields += [("landuse", ogr.OFTString), ("sampled", ogr.OFTDate)]
    lyr = make_layer(ds, "soil_samples", ogr.wkbPoint, fields)
    ds.StartTransaction()
    for s in ss:
        f = ogr.Feature(lyr.GetLayerDefn())
        f.SetField("sample_id", s["sample_id"])
        f.SetField("lon", s["lon"])
        f.SetField("lat", s["lat"])
        f.SetField("ph", s["ph"])
        for e in ELEMS:
            if s[e] is None:
                f.SetFieldNull(e)
            else:
                f.SetField(e, s[e])
        f.SetField("landuse", s["landuse"])
        d = s["sampled"]
        f.SetField("sampled", d.year, d.month, d.day, 0, 0, 0, 0)
        f.SetGeometry(point(s["x"], s["y"]))
        lyr.CreateFeature(f)
    ds.CommitTransaction()
    ds = None

    fmt = {"cd": "{:.3f}", "pb": "{:.1f}", "as": "{:.2f}", "hg": "{:.3f}", "cr": "{:.1f}",
           "cu": "{:.1f}", "ni": "{:.1f}", "zn": "{:.1f}"}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["sample_id", "lon", "lat", "ph"] + ELEMS + ["landuse", "sampled"])
    for s in ss:
        row = [s["sample_id"], f"{s['lon']:.6f}", f"{s['lat']:.6f}", f"{s['ph']:.2f}"]
        for e in ELEMS:
            row.append(s.get("raw_" + e) if s[e] is None else fmt[e].format(s[e]))
        row += [s["landuse"], s["sampled"].isoformat()]
        w.writerow(row)
    with open(csv_path, "w", encoding="utf-8-sig", newline="") as fh:
        fh.write(buf.getvalue())


def write_crops(path, rs):
    ds = new_gpkg(path)
    lyr = make_layer(ds, "crop_samples", ogr.wkbPoint, [
        ("sample_id", ogr.OFTString), ("crop", ogr.OFTString), ("cd", ogr.OFTReal), ("pb", ogr.OFTReal),
        ("as", ogr.OFTReal), ("hg", ogr.OFTReal), ("cr", ogr.OFTReal)])
    for r in rs:
        add_feature(lyr, point(r["x"], r["y"]), {k: r[k] for k in ("sample_id", "crop", "cd", "pb", "as", "hg", "cr")})
    ds = None


def write_sites(path, plots, zones, receptors):
    ds = new_gpkg(path)
    lyr = make_layer(ds, "sites", ogr.wkbPolygon, [
        ("plot_id", ogr.OFTString), ("name", ogr.OFTString), ("enterprise", ogr.OFTString),
        ("register", ogr.OFTString), ("survey", ogr.OFTString), ("risk_control", ogr.OFTString),
        ("county", ogr.OFTString)])
    for p in plots:
        add_feature(lyr, p["geom"], {k: p[k] for k in (
            "plot_id", "name", "enterprise", "register", "survey", "risk_control", "county")})
    lyr = make_layer(ds, "landuse_plan", ogr.wkbPolygon, [
        ("zone_id", ogr.OFTString), ("use_code", ogr.OFTString, 2), ("use_name", ogr.OFTString)])
    for z in zones:
        add_feature(lyr, z["geom"], {k: z[k] for k in ("zone_id", "use_code", "use_name")})
    lyr = make_layer(ds, "receptors", ogr.wkbPoint, [
        ("receptor_id", ogr.OFTString), ("name", ogr.OFTString), ("kind", ogr.OFTString)])
    for r in receptors:
        add_feature(lyr, r["geom"], {k: r[k] for k in ("receptor_id", "name", "kind")})
    ds = None


def main():
    os.makedirs(OUT, exist_ok=True)
    log(f"output: {OUT}")
    write_admin(os.path.join(OUT, "liuzhou_admin.gpkg"))
    log("liuzhou_admin.gpkg written")

    T = terrain.build(log)
    for fid, down, da, db in T.river_info:
        log(f"river fid {fid}: downstream end = {down} (network distance to outlet "
            f"{da / 1000:.1f} -> {db / 1000:.1f} km)")
    terrain.write_dem(T, os.path.join(OUT, "dem.tif"))
    log("dem.tif written")

    rng_farm = np.random.default_rng(farmland.SEED_FARM)
    T.farm_mask = farmland.farmland_mask(T, rng_farm)
    ms = mines.place(T, log)
    parcels = farmland.build(T, log)
    pol = mines.Pollution(T, ms, log)
    farmland.attributes(T, parcels, pol, log)
    bowties = farmland.make_bowties(parcels, np.random.default_rng(farmland.SEED_FARM + 2))
    log(f"bow-tie parcels: {bowties}")
    write_farmland(os.path.join(OUT, "farmland.gpkg"), parcels)
    log(f"farmland.gpkg written ({len(parcels)} parcels)")

    ponds = mines.tailings(T, ms, np.random.default_rng(mines.SEED_MINES + 10))
    write_mines(os.path.join(OUT, "mines.gpkg"), ms, ponds)
    log("mines.gpkg written")

    ss, nd = samples.build(T, parcels, pol, log)
    write_samples(os.path.join(OUT, "samples.gpkg"), os.path.join(OUT, "soil_samples.csv"), ss)
    rs = samples.rice(ss, log)
    write_crops(os.path.join(OUT, "crop_samples.gpkg"), rs)
    log("samples written")

    plots, zones, receptors = sites.build(log)
    write_sites(os.path.join(OUT, "sites.gpkg"), plots, zones, receptors)
    log("sites.gpkg written")

    # summary
    from collections import Counter
    cnt = Counter((p["county"], p["category"]) for p in parcels)
    for k in sorted(cnt):
        log(f"parcels {k[0]} category {k[1]}: {cnt[k]}")
    cnt = Counter((s["parcel"]["county"]) for s in ss)
    for k in sorted(cnt):
        log(f"soil samples {k}: {cnt[k]}")
    for m in ms:
        log(f"{m['mine_id']} {m['name']}: x={m['x']:.2f} y={m['y']:.2f} lon={m['lon']:.6f} lat={m['lat']:.6f}")
    log("done")


if __name__ == "__main__":
    main()
