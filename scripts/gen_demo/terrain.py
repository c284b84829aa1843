"""Synthetic DEM for 融水 + 三江 whose valleys follow the real GSHHG river lines."""

import heapq
import math

import numpy as np
from osgeo import gdal, ogr

from common import (ADMIN_GPKG, CELL, COUNTIES, RIVERS_GPKG, Grid, SRS_PROJ, accumulate,
                    d8_receivers, fbm, lonlat_to_xy, nearest_seed, priority_flood,
                    read_layer, smooth, to_proj, value_noise)

SEED_TERRAIN = 20240101

FLOOR_OUTLET = 80.0      # valley-floor elevation where the Rong leaves the grid (m)
FLOOR_TOP = 250.0        # valley-floor elevation at the most upstream river point in the grid
EDGE_BASE = 320.0        # base level of streams leaving the grid across its edge (m)


class Terrain:
    pass


def load_counties():
    """Returns {adcode: geometry in EPSG:4545} for the two northern counties."""
    out = {}
    for attrs, g in read_layer(ADMIN_GPKG, "liuzhou_counties"):
        code = str(attrs["adcode"])
        if code in COUNTIES:
            out[code] = to_proj(g)
    return out


def load_rivers():
    """River lines in EPSG:4545 as (fid, level, [(x, y), ...]) in stored vertex order."""
    ds = ogr.Open(RIVERS_GPKG)
    lyr = ds.GetLayer(0)
    out = []
    for f in lyr:
        g = to_proj(f.GetGeometryRef())
        out.append((f.GetFID(), f["level"], g.GetPoints()))
    return out


def _densify(pts, step):
    out = [pts[0][:2]]
    for (x0, y0, *_), (x1, y1, *_) in zip(pts[:-1], pts[1:]):
        d = math.hypot(x1 - x0, y1 - y0)
        n = max(1, int(math.ceil(d / step)))
        for k in range(1, n + 1):
            t = k / n
            out.append((x0 + (x1 - x0) * t, y0 + (y1 - y0) * t))
    return out


def river_network(rivers, grid, step=25.0, join_tol=300.0):
    """Dense river points with their distance along the network to the outlet.

    The lines are joined where an end point lies within join_tol of another line.
    The outlet is the southernmost point of the connected component that crosses
    the grid, i.e. the Rong/Liu river downstream of Liuzhou: every line inside the
    grid then drains towards the south, which is the real flow direction of the
    Duliu (都柳江), Xun (寻江) and Rong (融江) rivers.  Returns
    (xy[N,2], dist[N], line_id[N], line_info)."""
    xs, ys, lid, nbrs = [], [], [], []
    starts = []
    for fid, level, pts in rivers:
        d = _densify(pts, step)
        base = len(xs)
        starts.append((fid, base, base + len(d) - 1))
        for k, (x, y) in enumerate(d):
            xs.append(x)
            ys.append(y)
            lid.append(fid)
            nb = []
            if k > 0:
                nb.append(base + k - 1)
            if k < len(d) - 1:
                nb.append(base + k + 1)
            nbrs.append(nb)
    xy = np.column_stack([xs, ys])
    lid = np.array(lid)
    # junctions: end points to the nearest point of any other line
    for fid, a, b in starts:
        for e in (a, b):
            d = np.hypot(xy[:, 0] - xy[e, 0], xy[:, 1] - xy[e, 1])
            d[lid == fid] = np.inf
            j = int(np.argmin(d))
            if d[j] <= join_tol:
                nbrs[e].append(j)
                nbrs[j].append(e)
    n = len(xy)
    # components
    comp = -np.ones(n, int)
    ncomp = 0
    for s in range(n):
        if comp[s] >= 0:
            continue
        stack = [s]
        comp[s] = ncomp
        while stack:
            i = stack.pop()
            for j in nbrs[i]:
                if comp[j] < 0:
                    comp[j] = ncomp
                    stack.append(j)
        ncomp += 1
    r, c = grid.rc_of(xy[:, 0], xy[:, 1])
    ing = grid.inside(r, c)
    main_comp = np.bincount(comp[ing]).argmax()
    cand = np.nonzero(comp == main_comp)[0]
    outlet = int(cand[np.argmin(xy[cand, 1])])
    # Dijkstra along the network
    dist = np.full(n, np.inf)
    dist[outlet] = 0.0
    heap = [(0.0, outlet)]
    while heap:
        d0, i = heapq.heappop(heap)
        if d0 > dist[i]:
            continue
        for j in nbrs[i]:
            nd = d0 + math.hypot(xy[j, 0] - xy[i, 0], xy[j, 1] - xy[i, 1])
            if nd < dist[j]:
                dist[j] = nd
                heapq.heappush(heap, (nd, j))
    info = []
    for fid, a, b in starts:
        if not np.isfinite(dist[a]):
            continue
        seg = slice(a, b + 1)
        if not ing[seg].any():
            continue
        down = "last vertex" if dist[b] < dist[a] else "first vertex"
        info.append((fid, down, dist[a], dist[b]))
    keep = np.isfinite(dist)
    return xy[keep], dist[keep], lid[keep], ing[keep], info


def build(log):
    T = Terrain()
    counties = load_counties()
    union = counties["450225"].Union(counties["450226"])
    T.counties = counties
    T.union = union
    minx, maxx, miny, maxy = union.GetEnvelope()
    m = 3000.0
    x0 = math.floor((minx - m) / CELL) * CELL
    x1 = math.ceil((maxx + m) / CELL) * CELL
    y0 = math.floor((miny - m) / CELL) * CELL
    y1 = math.ceil((maxy + m) / CELL) * CELL
    grid = Grid(x0, y1, int(round((x1 - x0) / CELL)), int(round((y1 - y0) / CELL)))
    T.grid = grid
    ny, nx = grid.shape
    log(f"grid {nx} x {ny} cells, x {x0:.0f}..{x1:.0f}, y {y0:.0f}..{y1:.0f}")

    valid = grid.rasterize([union.Buffer(2000.0, 8)]) > 0
    in_county = {code: grid.rasterize([g]) > 0 for code, g in counties.items()}
    T.valid = valid
    T.in_county = in_county

    # ---- rivers and valley-floor elevation along them
    rivers = load_rivers()
    rxy, rdist, _, ring, info = river_network(rivers, grid)
    T.river_info = info
    dmin = rdist[ring].min()
    dmax = rdist[ring].max()
    k = (FLOOR_TOP - FLOOR_OUTLET) / (dmax - dmin)
    relev = FLOOR_OUTLET + (rdist - dmin) * k
    log(f"river network: {len(rxy)} points, in-grid distance {dmin/1000:.1f}..{dmax/1000:.1f} km, "
        f"floor gradient {k*1000:.2f} m/km")
    rr, rc = grid.rc_of(rxy[:, 0], rxy[:, 1])
    ok = grid.inside(rr, rc)
    river = np.zeros(grid.shape, bool)
    river[rr[ok], rc[ok]] = True
    rfloor = np.full(grid.shape, np.inf)
    np.minimum.at(rfloor, (rr[ok], rc[ok]), relev[ok])
    T.river = river

    rng = np.random.default_rng(SEED_TERRAIN)
    yy, xx = np.mgrid[0:ny, 0:nx].astype(np.float64)

    # ---- main-valley geometry
    sr, sc, dcell = nearest_seed(river)
    d_main = dcell * CELL
    floor_main = rfloor[sr, sc]
    w_main = 550.0 + 350.0 * value_noise(grid.shape, 120, rng)  # half-width 200..900 m
    T.d_main = d_main

    # ---- mountain field (about 400..1500 m)
    wy = yy + 25.0 * value_noise(grid.shape, 90, rng)
    wx = xx + 25.0 * value_noise(grid.shape, 90, rng)
    n1 = fbm(grid.shape, [400, 200, 100, 50, 25, 12], rng, gain=0.55, yy=wy, xx=wx)
    n1 = (n1 - n1.min()) / (n1.max() - n1.min())
    rg = fbm(grid.shape, [160, 80, 40, 20], rng, gain=0.6, ridged=True, yy=wy, xx=wx)
    rg = (rg - rg.min()) / (rg.max() - rg.min())
    h = 0.6 * n1 + 0.4 * rg
    lo, hi = np.percentile(h[valid], [1.0, 99.5])
    h = np.clip((h - lo) / (hi - lo), 0.0, 1.0)
    # central massif (元宝山 area) is the highest ground of 融水
    bx, by = lonlat_to_xy(109.17, 25.42)
    gx, gy = grid.xy_of(yy, xx)
    bump = np.exp(-(((gx - bx) ** 2 + (gy - by) ** 2) / (2 * 20000.0 ** 2)))
    hm = 420.0 + 900.0 * h ** 1.25 + 220.0 * bump
    hm = np.where(hm > 1250.0, 1250.0 + 280.0 * np.tanh((hm - 1250.0) / 280.0), hm)
    ramp = 1.0 - np.exp(-np.maximum(d_main - w_main, 0.0) / 1500.0)
    raw = floor_main + (hm - floor_main) * ramp
    raw[river] = rfloor[river]

    # ---- drainage tree on the raw surface: outlets are the rivers and the grid edge
    edge = np.zeros(grid.shape, bool)
    edge[0, :] = edge[-1, :] = edge[:, 0] = edge[:, -1] = True
    log("priority flood 1 (drainage tree) ...")
    # small-scale noise in the visiting order makes the gullies wiggle
    prio = raw + 30.0 * fbm(grid.shape, [10, 5, 2.5], rng)
    prio[river] = raw[river]
    _, parent, order = priority_flood(prio, river | edge, fill=False)
    acc = accumulate(parent, order)  # cells (1 cell = 0.01 km2)
    acc_km2 = acc / 100.0
    T.acc_tree = acc_km2.reshape(grid.shape)

    # ---- channel profiles: concave, the slope falls with drainage area (18 % .. 1.2 %);
    #      where that would rise above a fraction of the local relief the channel follows
    #      the cap instead (still descending by >= 0.1 % towards its outlet)
    chan = (acc_km2 >= 0.4).reshape(grid.shape) & ~river
    E = np.where(river, rfloor, np.nan).ravel()
    par = parent
    chan_f = chan.ravel()
    slope = np.clip(0.02 * (np.maximum(acc_km2, 0.01) / 10.0) ** -0.5, 0.012, 0.18)
    step = np.ones(parent.size)
    pr, pc = np.divmod(np.maximum(par, 0), nx)
    cr, cc = np.divmod(np.arange(parent.size), nx)
    diag = (pr != cr) & (pc != cc)
    step[diag] = math.sqrt(2.0)
    step *= CELL
    inc = step * slope
    Ev = E.tolist()
    rv = river.ravel().tolist()
    rawf = raw.ravel().tolist()
    parl = par.tolist()
    incl = inc.tolist()
    minl = (step * 0.001).tolist()
    # channels stay below a fraction of the local relief that shrinks with drainage area
    capf = np.clip(0.75 - 0.18 * np.log10(acc_km2 + 1.0), 0.15, 0.75).tolist()
    fmf = floor_main.ravel().tolist()
    chl = chan_f.tolist()
    for i in order.tolist():
        if rv[i]:
            continue
        p = parl[i]
        if p < 0:            # grid-edge outlets: a regional base level
            Ev[i] = min(rawf[i], EDGE_BASE)
            continue
        if chl[i]:
            e = Ev[p] + incl[i]
            cap = fmf[i] + (rawf[i] - fmf[i]) * capf[i]
            if cap < e:
                e = cap
            lo = Ev[p] + minl[i]
            if e < lo:
                e = lo
            Ev[i] = e
    E = np.array(Ev).reshape(grid.shape)
    chan_all = chan | river
    T.chan = chan

    # ---- valley floors: along the rivers and the larger tributaries (>= 20 km2)
    accg = acc_km2.reshape(grid.shape)
    big = river | (chan & (accg >= 20.0))
    srb, scb, db = nearest_seed(big)
    db *= CELL
    eb = E[srb, scb]
    wb = np.where(river[srb, scb], w_main[srb, scb],
                  np.clip(65.0 * np.sqrt(np.maximum(accg[srb, scb] - 20.0, 0.0)), 0.0, 550.0))
    wb = wb * (0.8 + 0.4 * (value_noise(grid.shape, 30, rng) * 0.5 + 0.5))
    cross = 0.012 + 0.006 * (value_noise(grid.shape, 40, rng) * 0.5 + 0.5)
    floor = (db <= wb) & (wb > 0)
    efloor = eb + cross * db          # gently rising away from the stream
    # ---- hillslopes around every channel
    sr2, sc2, dch = nearest_seed(chan_all)
    dch *= CELL
    ech = E[sr2, sc2]
    lh = 450.0 + 250.0 * value_noise(grid.shape, 60, rng)
    top = np.maximum(raw, ech + 40.0)
    ehill = ech + (top - ech) * (1.0 - np.exp(-(dch / lh) ** 1.5))
    # hills rise from the floor plane, never below it
    ehill = np.maximum(ehill, efloor + 2.0)
    dem = np.where(floor, efloor, ehill)
    # soften seams on the hills only (floors and channels keep their shape)
    sm = smooth(dem, 3)
    away = np.minimum(np.where(floor, 0.0, db - wb), dch)
    blend = np.clip((away - 100.0) / 300.0, 0.0, 1.0)
    dem = dem * (1 - blend) + sm * blend
    keep = chan_all & ~floor
    dem[keep] = np.maximum(E[keep], efloor[keep])
    # small-scale roughness on hillslopes
    dem += blend * 12.0 * fbm(grid.shape, [6, 3], rng)
    T.floor = floor
    T.floor_w = wb
    T.dch = dch
    T.hand = np.where(floor, dem - eb, dem - np.minimum(ech, eb + cross * db))

    # ---- depression filling so that every cell drains to the edge
    log("priority flood 2 (fill) ...")
    filled, parent2, order2 = priority_flood(dem, edge, eps=0.0)
    T.dem_f = filled
    dem_i = np.rint(filled).astype(np.int16)
    T.dem_i = dem_i
    T.parent = parent2
    T.order = order2
    T.acc = (accumulate(parent2, order2) / 100.0).reshape(grid.shape)
    log(f"dem range in mask {dem_i[valid].min()}..{dem_i[valid].max()} m; "
        f"filled cells {(filled - dem > 0.5).sum()}")
    # D8 receivers on the integer DEM; flats fall back to the flood tree
    T.recv = d8_receivers(dem_i, np.ones(grid.shape, bool), fallback_parent=parent2)
    T.recv_simple = d8_receivers(dem_i, valid)
    return T


def write_dem(T, path):
    grid = T.grid
    out = T.dem_i.copy()
    out[~T.valid] = -32768
    drv = gdal.GetDriverByName("GTiff")
    ds = drv.Create(path, grid.nx, grid.ny, 1, gdal.GDT_Int16,
                    options=["COMPRESS=DEFLATE", "PREDICTOR=2", "TILED=YES",
                             "BLOCKXSIZE=256", "BLOCKYSIZE=256", "ZLEVEL=9"])
    ds.SetGeoTransform(grid.gt)
    ds.SetProjection(SRS_PROJ.ExportToWkt())
    b = ds.GetRasterBand(1)
    b.SetNoDataValue(-32768)
    b.WriteArray(out)
    b.SetUnitType("m")
    ds.SetMetadataItem("AREA_OR_POINT", "Area")
    ds.SetMetadataItem("DESCRIPTION", "SYNTHETIC terrain for the soilrisk demo; not a real DEM")
    ds = None
