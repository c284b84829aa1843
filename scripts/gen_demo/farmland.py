"""Synthetic 三调-like farmland parcels on the valley floors of the synthetic DEM."""

import math

import numpy as np
from osgeo import gdal, ogr

from common import CELL, COUNTIES, SRS_PROJ, fbm, polygon_ellipsoid_area, value_noise

SEED_FARM = 20240202
TILE = 2000.0


def farmland_mask(T, rng):
    """Cells of the valley floors that are farmed (inside the two counties)."""
    gy, gx = np.gradient(T.dem_f, CELL)
    slope = np.hypot(gx, gy)
    T.slope = slope
    inc = T.in_county["450225"] | T.in_county["450226"]
    # villages, woods, roads: a patchy exclusion
    patch = fbm(T.grid.shape, [12, 6, 3], rng)
    # the broad floors along the main rivers are farmed more densely than the
    # narrower tributary valleys
    main = T.d_main <= 1100.0
    F = (T.floor & inc & (T.d_main >= 90.0) & (slope < 0.05) & (T.dem_f < 600.0)
         & np.where(main, (T.hand < 10.0) & (patch > -0.3), (T.hand < 8.0) & (patch > 0.12)))
    # drop specks
    ds = T.grid.mem()
    ds.GetRasterBand(1).WriteArray(F.astype(np.uint8))
    gdal.SieveFilter(ds.GetRasterBand(1), None, ds.GetRasterBand(1), 4, 8)
    F = ds.GetRasterBand(1).ReadAsArray() > 0
    return F


def mask_polygons(T, F):
    """Polygonise the farm mask and smooth the 100 m stair steps."""
    ds = T.grid.mem()
    ds.GetRasterBand(1).WriteArray(F.astype(np.uint8))
    mds = ogr.GetDriverByName("Memory").CreateDataSource("")
    lyr = mds.CreateLayer("p", SRS_PROJ, ogr.wkbPolygon)
    lyr.CreateField(ogr.FieldDefn("v", ogr.OFTInteger))
    band = ds.GetRasterBand(1)
    gdal.Polygonize(band, band, lyr, 0, ["8CONNECTED=8"])
    polys = []
    for f in lyr:
        g = f.GetGeometryRef().Clone()
        g = g.SimplifyPreserveTopology(75.0)
        g = g.Buffer(-20.0, 2).Buffer(20.0, 2)
        if g.IsEmpty():
            continue
        if not g.IsValid():
            g = g.MakeValid()
        polys.append(g)
    return polys


def polygonal(g):
    """Polygon parts of an overlay result (drops stray points and lines)."""
    if g is None or g.IsEmpty():
        return None
    t = ogr.GT_Flatten(g.GetGeometryType())
    if t in (ogr.wkbPolygon, ogr.wkbMultiPolygon):
        return g
    out = ogr.Geometry(ogr.wkbMultiPolygon)
    for i in range(g.GetGeometryCount()):
        p = g.GetGeometryRef(i)
        if ogr.GT_Flatten(p.GetGeometryType()) == ogr.wkbPolygon:
            out.AddGeometry(p)
    return None if out.IsEmpty() else out


def tile_geoms(polys):
    tiles = {}
    for g in polys:
        minx, maxx, miny, maxy = g.GetEnvelope()
        for tx in range(int(math.floor(minx / TILE)), int(math.floor(maxx / TILE)) + 1):
            for ty in range(int(math.floor(miny / TILE)), int(math.floor(maxy / TILE)) + 1):
                box = ogr.CreateGeometryFromWkt(
                    "POLYGON(({0} {1},{2} {1},{2} {3},{0} {3},{0} {1}))".format(
                        tx * TILE, ty * TILE, (tx + 1) * TILE, (ty + 1) * TILE))
                piece = polygonal(g.Intersection(box))
                if piece is None or piece.GetArea() < 1.0:
                    continue
                key = (tx, ty)
                tiles[key] = piece if key not in tiles else tiles[key].Union(piece)
    return tiles


def seeds(T, F, rng):
    """Seed points: hex lattice over the (dilated) farm mask, randomly thinned
    to a spatially varying density, jittered."""
    g = T.grid
    ny, nx = g.shape
    Fd = F.copy()
    for _ in range(3):
        p = np.pad(Fd, 1)
        Fd = (p[:-2, 1:-1] | p[2:, 1:-1] | p[1:-1, :-2] | p[1:-1, 2:] | p[1:-1, 1:-1]
              | p[:-2, :-2] | p[2:, 2:] | p[:-2, 2:] | p[2:, :-2])
    sp = 75.0
    dens = value_noise(g.shape, 25, rng) * 0.5 + 0.5      # 0..1
    xs = np.arange(g.x0, g.x0 + nx * CELL, sp)
    ys = np.arange(g.y1 - ny * CELL, g.y1, sp * math.sqrt(3) / 2)
    X, Y = np.meshgrid(xs, ys)
    X = X + (np.arange(len(ys))[:, None] % 2) * sp / 2
    X = X.ravel()
    Y = Y.ravel()
    r, c = g.rc_of(X, Y)
    ok = g.inside(r, c)
    X, Y, r, c = X[ok], Y[ok], r[ok], c[ok]
    keep = Fd[r, c]
    X, Y, r, c = X[keep], Y[keep], r[keep], c[keep]
    target = 135.0 + 135.0 * dens[r, c] ** 1.5       # local mean spacing, m
    p_keep = (sp / target) ** 2
    keep = rng.random(len(X)) < p_keep
    X, Y = X[keep], Y[keep]
    X = X + rng.uniform(-0.3, 0.3, len(X)) * sp
    Y = Y + rng.uniform(-0.3, 0.3, len(Y)) * sp
    return np.round(X, 2), np.round(Y, 2)


def voronoi_cells(X, Y, rng, jitter=9.0, midpoints=True):
    """Voronoi cells (lists of (x, y)) from GEOS' Delaunay triangulation.
    Shared vertices and shared edge mid-points are jittered identically on both
    sides, so neighbouring cells keep exactly common boundaries."""
    mp = ogr.Geometry(ogr.wkbMultiPoint)
    index = {}
    for i, (x, y) in enumerate(zip(X.tolist(), Y.tolist())):
        p = ogr.Geometry(ogr.wkbPoint)
        p.AddPoint_2D(x, y)
        mp.AddGeometry(p)
        index[(x, y)] = i
    tri = mp.DelaunayTriangulation(0.0, False)
    ntri = tri.GetGeometryCount()
    tv = np.zeros((ntri, 3), np.int64)
    for t in range(ntri):
        ring = tri.GetGeometryRef(t).GetGeometryRef(0)
        for k in range(3):
            x, y = ring.GetPoint_2D(k)
            tv[t, k] = index[(x, y)]
    ax, ay = X[tv[:, 0]], Y[tv[:, 0]]
    bx, by = X[tv[:, 1]], Y[tv[:, 1]]
    cx, cy = X[tv[:, 2]], Y[tv[:, 2]]
    d = 2 * (ax * (by - cy) + bx * (cy - ay) + cx * (ay - by))
    d = np.where(np.abs(d) < 1e-9, 1e-9, d)
    a2, b2, c2 = ax * ax + ay * ay, bx * bx + by * by, cx * cx + cy * cy
    ux = (a2 * (by - cy) + b2 * (cy - ay) + c2 * (ay - by)) / d
    uy = (a2 * (cx - bx) + b2 * (ax - cx) + c2 * (bx - ax)) / d
    n = len(X)
    inc = [[] for _ in range(n)]
    for t in range(ntri):
        for k in range(3):
            inc[tv[t, k]].append(t)
    # jitter of the Voronoi vertices (one value per triangle), limited to a
    # third of the distance to the neighbouring Voronoi vertices so that no
    # edge can cross another one
    emap = {}
    for t in range(ntri):
        for k in range(3):
            a, b = tv[t, k], tv[t, (k + 1) % 3]
            emap.setdefault((min(a, b), max(a, b)), []).append(t)
    dmin = np.full(ntri, np.inf)
    for ts in emap.values():
        if len(ts) == 2:
            t1, t2 = ts
            d = math.hypot(ux[t1] - ux[t2], uy[t1] - uy[t2])
            dmin[t1] = min(dmin[t1], d)
            dmin[t2] = min(dmin[t2], d)
    jx = rng.normal(0, jitter, ntri) if jitter > 0 else np.zeros(ntri)
    jy = rng.normal(0, jitter, ntri) if jitter > 0 else np.zeros(ntri)
    jl = np.hypot(jx, jy)
    f = np.where(jl > 0, np.minimum(1.0, 0.3 * dmin / np.maximum(jl, 1e-9)), 0.0)
    vx = ux + jx * f
    vy = uy + jy * f
    edge_salt = int(rng.integers(1, 2**31 - 1))
    cells = {}
    for i in range(n):
        ts = inc[i]
        if len(ts) < 3:
            continue
        # closed fan: every neighbour appears in exactly two incident triangles
        cnt = {}
        for t in ts:
            for v in tv[t]:
                if v != i:
                    cnt[v] = cnt.get(v, 0) + 1
        if any(c != 2 for c in cnt.values()):
            continue
        ang = [math.atan2(uy[t] - Y[i], ux[t] - X[i]) for t in ts]   # true Voronoi order
        ts = [t for _, t in sorted(zip(ang, ts))]
        pts = []
        m = len(ts)
        for k in range(m):
            t1, t2 = ts[k], ts[(k + 1) % m]
            pts.append((vx[t1], vy[t1]))
            # Delaunay edge shared by t1 and t2 (other than i)
            shared = set(tv[t1].tolist()) & set(tv[t2].tolist())
            shared.discard(i)
            if len(shared) != 1:
                continue
            j = shared.pop()
            a, b = (i, j) if i < j else (j, i)
            h = (a * 73856093) ^ (b * 19349663) ^ edge_salt
            h &= 0xFFFFFFFF
            if midpoints and h % 100 < 55:
                # shared mid-point, displaced along the seed-to-seed direction
                mx = (vx[t1] + vx[t2]) / 2
                my = (vy[t1] + vy[t2]) / 2
                ex, ey = X[b] - X[a], Y[b] - Y[a]
                el = math.hypot(ex, ey) or 1.0
                lim = min(0.125 * math.hypot(vx[t2] - vx[t1], vy[t2] - vy[t1]), 0.1 * el, 15.0)
                off = ((h >> 8) % 1000 / 1000.0 - 0.5) * 2.0 * lim
                pts.append((mx + ex / el * off, my + ey / el * off))
        cells[i] = pts
    return cells


def ring_polygon(pts):
    ring = ogr.Geometry(ogr.wkbLinearRing)
    for x, y in pts:
        ring.AddPoint_2D(float(x), float(y))
    ring.AddPoint_2D(float(pts[0][0]), float(pts[0][1]))
    poly = ogr.Geometry(ogr.wkbPolygon)
    poly.AddGeometry(ring)
    return poly


def nverts(poly):
    return poly.GetGeometryRef(0).GetPointCount() - 1


def round_polygon(poly, nd=2):
    """Round vertices to cm.  The rounding keeps shared edges identical because
    neighbours carry the very same coordinates."""
    ring = poly.GetGeometryRef(0)
    pts = [(round(x, nd), round(y, nd)) for x, y in ring.GetPoints()]
    # drop consecutive duplicates created by rounding
    out = [pts[0]]
    for p in pts[1:]:
        if p != out[-1]:
            out.append(p)
    if out[0] != out[-1]:
        out.append(out[0])
    if len(out) < 4:
        return None
    return ring_polygon(out[:-1])


def build(T, log):
    rng = np.random.default_rng(SEED_FARM)
    F = farmland_mask(T, rng)
    T.farm_mask = F
    log(f"farm mask {F.sum() / 100:.1f} km2")
    polys = mask_polygons(T, F)
    tiles = tile_geoms(polys)
    X, Y = seeds(T, F, rng)
    log(f"{len(X)} Voronoi seeds")
    cells = voronoi_cells(X, Y, rng)
    log(f"{len(cells)} closed Voronoi cells")
    counties = T.counties
    gdal.PushErrorHandler("CPLQuietErrorHandler")   # GEOS notes on dropped invalid cells
    parcels = []
    stats = {"multi": 0, "area": 0, "verts": 0, "county": 0, "invalid": 0}
    for i in sorted(cells):
        pts = cells[i]
        cell = ring_polygon(pts)
        if not cell.IsValid():
            stats["invalid"] += 1
            continue
        minx, maxx, miny, maxy = cell.GetEnvelope()
        pieces = []
        for tx in range(int(math.floor(minx / TILE)), int(math.floor(maxx / TILE)) + 1):
            for ty in range(int(math.floor(miny / TILE)), int(math.floor(maxy / TILE)) + 1):
                t = tiles.get((tx, ty))
                if t is not None and t.Intersects(cell):
                    pieces.append(t)
        if not pieces:
            continue
        g = cell
        clip = pieces[0]
        for pc in pieces[1:]:
            clip = clip.Union(pc)
        g = cell.Intersection(clip)
        if g is None or g.IsEmpty():
            continue
        if g.GetGeometryType() != ogr.wkbPolygon or g.GetGeometryCount() != 1:
            stats["multi"] += 1
            continue
        g = round_polygon(g)
        if g is None or not g.IsValid():
            stats["invalid"] += 1
            continue
        a = g.GetArea()
        if a < 3000.0 or a > 50000.0:
            stats["area"] += 1
            continue
        nv = nverts(g)
        if nv < 6 or nv > 20:
            stats["verts"] += 1
            continue
        code = None
        for cc, cg in counties.items():
            if cg.Contains(g):
                code = cc
                break
        if code is None:
            stats["county"] += 1
            continue
        parcels.append({"geom": g, "county_code": code, "seed": i})
    gdal.PopErrorHandler()
    log(f"{len(parcels)} parcels kept; dropped {stats}")
    return parcels


def attributes(T, parcels, pollution, log):
    """dlbm/dlmc, ids, category, measures, tbmj."""
    rng = np.random.default_rng(SEED_FARM + 1)
    g = T.grid
    land_noise = value_noise(g.shape, 20, rng)
    # stable order: county, then north to south, west to east
    for p in parcels:
        c = p["geom"].Centroid()
        p["cx"], p["cy"] = c.GetX(), c.GetY()
    parcels.sort(key=lambda p: (p["county_code"], -round(p["cy"], -2), p["cx"]))
    seq = {code: 0 for code in COUNTIES}
    for p in parcels:
        seq[p["county_code"]] += 1
        p["parcel_id"] = f"{p['county_code']}-{seq[p['county_code']]:06d}"
        r, c = g.rc_of(p["cx"], p["cy"])
        r = int(np.clip(r, 0, g.ny - 1))
        c = int(np.clip(c, 0, g.nx - 1))
        p["rc"] = (r, c)
        # paddy on the wet low floor near streams; dry land and orchards higher up
        score = T.hand[r, c] / 9.0 + 0.55 * land_noise[r, c] + 0.15 * rng.normal()
        if T.dem_f[r, c] > 500:
            score += 0.25
        if score < 0.62:
            p["dlbm"], p["dlmc"] = "0101", "水田"
        elif score < 1.0:
            p["dlbm"], p["dlmc"] = "0103", "旱地"
        else:
            p["dlbm"], p["dlmc"] = "0201", "果园"
        p["county"] = COUNTIES[p["county_code"]]
        p["tbmj"] = round(polygon_ellipsoid_area(p["geom"]), 2)
    pollution.classify_parcels(T, parcels, rng)
    return parcels


def make_bowties(parcels, rng, n=3):
    """Turn n parcels into self-intersecting 'bow-tie' rings by swapping two
    consecutive vertices.  The stored tbmj stays the area of the valid parcel, as
    in a survey database whose geometry was later damaged."""
    cands = [p for p in parcels if p["category"] == 1 and 6 <= nverts(p["geom"]) <= 9]
    idx = sorted(rng.choice(len(cands), size=n, replace=False).tolist())
    out = []
    gdal.PushErrorHandler("CPLQuietErrorHandler")
    for k in idx:
        p = cands[k]
        ring = p["geom"].GetGeometryRef(0)
        pts = ring.GetPoints()[:-1]
        for j in range(len(pts)):
            q = list(pts)
            q[j], q[(j + 1) % len(q)] = q[(j + 1) % len(q)], q[j]
            poly = ring_polygon([(x, y) for x, y in q])
            if not poly.IsValid():
                p["geom"] = poly
                p["bowtie"] = True
                out.append(p["parcel_id"])
                break
    gdal.PopErrorHandler()
    return out
