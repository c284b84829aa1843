#!/usr/bin/python3
"""Sanity checks of data/demo (run from the repository root):

    /usr/bin/python3 scripts/gen_demo/check_demo.py [png_dir]

Prints layer summaries, farmland topology (overlaps, invalid rings), tbmj vs
ellipsoid area, a simple D8 trace on dem.tif from every mine (integer DEM,
steepest descent, stops in flats/pits) with the farmland parcels it crosses in
its first 10 km, and optionally renders overview PNGs into png_dir."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True

import numpy as np  # noqa: E402
from osgeo import gdal, ogr  # noqa: E402

from common import D8_LEN, NB, polygon_ellipsoid_area  # noqa: E402

DEMO = os.path.join(os.getcwd(), "data", "demo")


def summary():
    for name in sorted(os.listdir(DEMO)):
        if not name.endswith(".gpkg"):
            continue
        ds = ogr.Open(os.path.join(DEMO, name))
        for lyr in ds:
            srs = lyr.GetSpatialRef()
            code = srs.GetAuthorityCode(None) if srs else None
            ext = lyr.GetExtent()
            print(f"{name}:{lyr.GetName()}: {lyr.GetFeatureCount()} x "
                  f"{ogr.GeometryTypeToName(lyr.GetGeomType())}, EPSG:{code}, "
                  f"extent x {ext[0]:.3f}..{ext[1]:.3f} y {ext[2]:.3f}..{ext[3]:.3f}")


def farmland_checks():
    ds = ogr.Open(os.path.join(DEMO, "farmland.gpkg"))
    lyr = ds.GetLayer("farmland")
    geoms, ids, tbmj = [], [], []
    invalid = []
    gdal.PushErrorHandler("CPLQuietErrorHandler")
    for f in lyr:
        g = f.GetGeometryRef().Clone()
        geoms.append(g)
        ids.append(f["parcel_id"])
        tbmj.append(f["tbmj"])
        if not g.IsValid():
            invalid.append(f["parcel_id"])
    gdal.PopErrorHandler()
    print(f"farmland: {len(geoms)} parcels, invalid: {invalid}")
    # overlaps between neighbours (valid parcels only), bucketed by 1 km tiles
    tiles = {}
    for i, g in enumerate(geoms):
        if ids[i] in invalid:
            continue
        minx, maxx, miny, maxy = g.GetEnvelope()
        for tx in range(int(minx // 1000), int(maxx // 1000) + 1):
            for ty in range(int(miny // 1000), int(maxy // 1000) + 1):
                tiles.setdefault((tx, ty), []).append(i)
    seen = set()
    worst = 0.0
    n_over = 0
    for members in tiles.values():
        for a in range(len(members)):
            for b in range(a + 1, len(members)):
                i, j = members[a], members[b]
                if (i, j) in seen:
                    continue
                seen.add((i, j))
                if not geoms[i].Intersects(geoms[j]):
                    continue
                x = geoms[i].Intersection(geoms[j])
                if ogr.GT_Flatten(x.GetGeometryType()) not in (ogr.wkbPolygon, ogr.wkbMultiPolygon,
                                                               ogr.wkbGeometryCollection):
                    continue
                ar = x.GetArea() if ogr.GT_Flatten(x.GetGeometryType()) != ogr.wkbGeometryCollection else sum(
                    x.GetGeometryRef(k).GetArea() for k in range(x.GetGeometryCount())
                    if ogr.GT_Flatten(x.GetGeometryRef(k).GetGeometryType()) == ogr.wkbPolygon)
                if ar > 0.01:
                    n_over += 1
                    worst = max(worst, ar)
    print(f"farmland overlaps > 0.01 m2: {n_over} (largest {worst:.3f} m2)")
    rel = []
    for g, t, pid in zip(geoms, tbmj, ids):
        if pid in invalid:
            continue
        rel.append((t - polygon_ellipsoid_area(g)) / t)
    rel = np.abs(np.array(rel))
    plan = np.array([g.GetArea() for g, pid in zip(geoms, ids) if pid not in invalid])
    tb = np.array([t for t, pid in zip(tbmj, ids) if pid not in invalid])
    print(f"tbmj vs ellipsoid area: max rel diff {rel.max():.2e}; tbmj/planar area "
          f"{(tb / plan).min():.5f}..{(tb / plan).max():.5f}")
    nv = np.array([g.GetGeometryRef(0).GetPointCount() - 1 for g in geoms])
    print(f"vertices per parcel {nv.min()}..{nv.max()}, area ha {tb.min() / 1e4:.2f}..{tb.max() / 1e4:.2f}")


def d8_traces(png_dir=None):
    dem_ds = gdal.Open(os.path.join(DEMO, "dem.tif"))
    dem = dem_ds.ReadAsArray().astype(np.int32)
    gt = dem_ds.GetGeoTransform()
    ny, nx = dem.shape
    valid = dem != -32768
    # parcel index raster (cell centres)
    fds = ogr.Open(os.path.join(DEMO, "farmland.gpkg"))
    flyr = fds.GetLayer("farmland")
    mem = gdal.GetDriverByName("MEM").Create("", nx, ny, 1, gdal.GDT_Int32)
    mem.SetGeoTransform(gt)
    mem.SetProjection(dem_ds.GetProjection())
    sql = fds.ExecuteSQL("SELECT fid + 0 AS pid, geom FROM farmland")
    gdal.RasterizeLayer(mem, [1], sql, options=["ATTRIBUTE=pid", "ALL_TOUCHED=TRUE"])
    fds.ReleaseResultSet(sql)
    pid = mem.ReadAsArray()
    fid2id = {f.GetFID(): (f["parcel_id"], f["category"]) for f in flyr}
    mds = ogr.Open(os.path.join(DEMO, "mines.gpkg"))
    traces = {}
    for f in mds.GetLayer("mines"):
        p = f.GetGeometryRef()
        c = int((p.GetX() - gt[0]) / gt[1])
        r = int((p.GetY() - gt[3]) / gt[5])
        path = [(r, c)]
        s = 0.0
        hits = []
        while True:
            z = dem[r, c]
            best, nxt = 0.0, None
            for k, (dy, dx) in enumerate(NB):
                rr, cc = r + dy, c + dx
                if 0 <= rr < ny and 0 <= cc < nx and valid[rr, cc]:
                    drop = (z - dem[rr, cc]) / D8_LEN[k]
                    if drop > best:
                        best, nxt = drop, (rr, cc, D8_LEN[k])
            if nxt is None:
                break
            r, c = nxt[0], nxt[1]
            s += nxt[2] * gt[1]
            path.append((r, c))
            if s <= 10000 and pid[r, c] > 0:
                hits.append((round(s), fid2id[pid[r, c]]))
        traces[f["mine_id"]] = path
        uniq = []
        for d, (pi, cat) in hits:
            if pi not in [u[1] for u in uniq]:
                uniq.append((d, pi, cat))
        first = uniq[0][0] if uniq else None
        print(f"{f['mine_id']} ({f['name']}): simple D8 {len(path)} cells / {s / 1000:.1f} km "
              f"until it stalls; {len(uniq)} parcels crossed within 10 km, first after {first} m; "
              f"categories {sorted(set(u[2] for u in uniq))}")
    if png_dir:
        render(png_dir, dem, valid, gt, pid, fid2id, traces)


def render(png_dir, dem, valid, gt, pid, fid2id, traces):
    os.makedirs(png_dir, exist_ok=True)
    src = gdal.Open(os.path.join(DEMO, "dem.tif"))
    hs = gdal.DEMProcessing("", src, "hillshade", format="MEM", zFactor=2, computeEdges=True).ReadAsArray()
    z = np.clip((dem - 80) / 1300.0, 0, 1)
    base = np.stack([0.45 + 0.4 * z, 0.6 + 0.15 * z, 0.35 + 0.35 * z]) * (0.3 + 0.7 * hs / 255.0)
    img = (base * 255).clip(0, 255)
    lut = np.zeros(max(fid2id) + 1, np.int32)
    for f, (_, c) in fid2id.items():
        lut[f] = c
    cat = lut[pid]
    colors = {1: (60, 200, 60), 2: (255, 170, 0), 3: (230, 0, 0)}
    for k, col in colors.items():
        m = cat == k
        for b in range(3):
            img[b][m] = col[b]
    # rivers
    rds = ogr.Open(os.path.join(DEMO, "liuzhou_admin.gpkg"))
    mem = gdal.GetDriverByName("MEM").Create("", dem.shape[1], dem.shape[0], 1, gdal.GDT_Byte)
    mem.SetGeoTransform(gt)
    mem.SetProjection(src.GetProjection())
    gdal.RasterizeLayer(mem, [1], rds.GetLayer("rivers"), burn_values=[1])
    riv = mem.ReadAsArray() > 0
    for b, v in enumerate((40, 90, 255)):
        img[b][riv] = v
    for path in traces.values():
        for r, c in path:
            img[0][r, c], img[1][r, c], img[2][r, c] = 255, 0, 255
        r, c = path[0]
        img[:, max(0, r - 3):r + 4, max(0, c - 3):c + 4] = 0
    img[:, ~valid] = 255
    out = img.astype(np.uint8)
    d = gdal.GetDriverByName("MEM").Create("", out.shape[2], out.shape[1], 3, gdal.GDT_Byte)
    for b in range(3):
        d.GetRasterBand(b + 1).WriteArray(out[b])
    gdal.GetDriverByName("PNG").CreateCopy(os.path.join(png_dir, "overview.png"), d)
    # zooms around each mine
    for mid, path in traces.items():
        r, c = path[0]
        r0, c0 = max(0, r - 100), max(0, c - 100)
        r1, c1 = min(out.shape[1], r0 + 200), min(out.shape[2], c0 + 200)
        z = gdal.GetDriverByName("MEM").Create("", c1 - c0, r1 - r0, 3, gdal.GDT_Byte)
        for b in range(3):
            z.GetRasterBand(b + 1).WriteArray(out[b, r0:r1, c0:c1])
        gdal.GetDriverByName("PNG").CreateCopy(os.path.join(png_dir, f"mine_{mid}.png"), z)
    print(f"PNGs written to {png_dir}")


if __name__ == "__main__":
    summary()
    farmland_checks()
    d8_traces(sys.argv[1] if len(sys.argv) > 1 else None)
