"""Shared helpers for the demo-data generator: CRS, raster grid, noise, distance
transforms and priority-flood drainage.  Pure numpy + GDAL/OGR (python3-gdal)."""

import heapq
import math
import os

import numpy as np
from osgeo import gdal, ogr, osr

gdal.UseExceptions()
ogr.UseExceptions()
osr.UseExceptions()

# Reproducible GeoPackages: gpkg_contents.last_change and friends take this date
# instead of "now".
gdal.SetConfigOption("OGR_CURRENT_DATE", "2024-01-01T00:00:00.000Z")
# Never write .aux.xml side files.
gdal.SetConfigOption("GDAL_PAM_ENABLED", "NO")

SHARED = os.environ.get("SOILRISK_SHARED_DATA", "/work/shared/data")
ADMIN_GPKG = os.path.join(SHARED, "admin", "liuzhou_admin_wgs84.gpkg")
RIVERS_GPKG = os.path.join(SHARED, "rivers", "gshhg_wdbii_rivers_liuzhou.gpkg")

EPSG_PROJ = 4545   # CGCS2000 / 3-degree Gauss-Kruger CM 108E
EPSG_GEO = 4490    # CGCS2000 geographic
CELL = 100.0       # DEM cell size, m

COUNTIES = {"450225": "融水苗族自治县", "450226": "三江侗族自治县"}


def srs(epsg):
    s = osr.SpatialReference()
    s.ImportFromEPSG(epsg)
    s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return s


SRS_PROJ = srs(EPSG_PROJ)
SRS_GEO = srs(EPSG_GEO)
SRS_WGS84 = srs(4326)
TO_PROJ = osr.CoordinateTransformation(SRS_WGS84, SRS_PROJ)
PROJ_TO_GEO = osr.CoordinateTransformation(SRS_PROJ, SRS_GEO)
GEO_TO_PROJ = osr.CoordinateTransformation(SRS_GEO, SRS_PROJ)


def lonlat_to_xy(lon, lat):
    x, y, _ = TO_PROJ.TransformPoint(lon, lat)
    return x, y


def xy_to_lonlat(x, y):
    lon, lat, _ = PROJ_TO_GEO.TransformPoint(x, y)
    return lon, lat


# --------------------------------------------------------------------------- grid
class Grid:
    """North-up raster grid; row 0 is the northern edge."""

    def __init__(self, x0, y1, nx, ny, cell=CELL):
        self.x0, self.y1, self.nx, self.ny, self.cell = x0, y1, nx, ny, cell

    @property
    def shape(self):
        return (self.ny, self.nx)

    @property
    def gt(self):
        return (self.x0, self.cell, 0.0, self.y1, 0.0, -self.cell)

    def xy_of(self, r, c):
        return self.x0 + (np.asarray(c) + 0.5) * self.cell, self.y1 - (np.asarray(r) + 0.5) * self.cell

    def rc_of(self, x, y):
        c = np.floor((np.asarray(x) - self.x0) / self.cell).astype(np.int64)
        r = np.floor((self.y1 - np.asarray(y)) / self.cell).astype(np.int64)
        return r, c

    def inside(self, r, c):
        return (r >= 0) & (r < self.ny) & (c >= 0) & (c < self.nx)

    def mem(self, dtype=gdal.GDT_Byte, fill=0):
        ds = gdal.GetDriverByName("MEM").Create("", self.nx, self.ny, 1, dtype)
        ds.SetGeoTransform(self.gt)
        ds.SetProjection(SRS_PROJ.ExportToWkt())
        ds.GetRasterBand(1).Fill(fill)
        return ds

    def rasterize(self, geoms, all_touched=False, values=None, dtype=gdal.GDT_Byte):
        """Burn OGR geometries (in EPSG:4545) into a new array."""
        ds = self.mem(dtype)
        mds = ogr.GetDriverByName("Memory").CreateDataSource("")
        lyr = mds.CreateLayer("l", SRS_PROJ)
        lyr.CreateField(ogr.FieldDefn("v", ogr.OFTReal))
        for i, g in enumerate(geoms):
            f = ogr.Feature(lyr.GetLayerDefn())
            f.SetGeometry(g)
            f.SetField("v", 1.0 if values is None else float(values[i]))
            lyr.CreateFeature(f)
        opts = ["ATTRIBUTE=v"]
        if all_touched:
            opts.append("ALL_TOUCHED=TRUE")
        gdal.RasterizeLayer(ds, [1], lyr, options=opts)
        return ds.GetRasterBand(1).ReadAsArray()


# --------------------------------------------------------------------------- noise
def _fade(t):
    return t * t * t * (t * (t * 6 - 15) + 10)


def value_noise(shape, period, rng, yy=None, xx=None):
    """Smooth value noise in [-1, 1] with the given lattice period (in cells).
    yy/xx: optional (warped) sample coordinates in cell units."""
    ny, nx = shape
    if yy is None:
        yy, xx = np.mgrid[0:ny, 0:nx].astype(np.float64)
    ly = int(math.ceil((yy.max() + 2) / period)) + 3
    lx = int(math.ceil((xx.max() + 2) / period)) + 3
    lat = rng.uniform(-1.0, 1.0, size=(ly, lx))
    fy = yy / period + 1.0
    fx = xx / period + 1.0
    fy = np.clip(fy, 0, ly - 2.0001)
    fx = np.clip(fx, 0, lx - 2.0001)
    iy = np.floor(fy).astype(np.int64)
    ix = np.floor(fx).astype(np.int64)
    ty = _fade(fy - iy)
    tx = _fade(fx - ix)
    a = lat[iy, ix] * (1 - tx) + lat[iy, ix + 1] * tx
    b = lat[iy + 1, ix] * (1 - tx) + lat[iy + 1, ix + 1] * tx
    return a * (1 - ty) + b * ty


def fbm(shape, periods, rng, gain=0.5, ridged=False, yy=None, xx=None):
    out = np.zeros(shape)
    amp, tot = 1.0, 0.0
    for p in periods:
        n = value_noise(shape, p, rng, yy, xx)
        if ridged:
            n = 1.0 - np.abs(n)
            n = n * n
        out += amp * n
        tot += amp
        amp *= gain
    return out / tot


def smooth(a, passes=1):
    """3x3 binomial smoothing, edges replicated."""
    for _ in range(passes):
        p = np.pad(a, 1, mode="edge")
        a = (p[:-2, :] + 2 * p[1:-1, :] + p[2:, :]) / 4.0
        a = (a[:, :-2] + 2 * a[:, 1:-1] + a[:, 2:]) / 4.0
    return a


# --------------------------------------------------------------------------- JFA
def nearest_seed(seed_mask):
    """Jump-flooding nearest-seed transform.  Returns (sr, sc, dist_cells) where
    (sr, sc) is the row/col of the (approximately) nearest seed cell."""
    ny, nx = seed_mask.shape
    sr = np.full((ny, nx), -1, np.int32)
    sc = np.full((ny, nx), -1, np.int32)
    rr, cc = np.nonzero(seed_mask)
    sr[rr, cc] = rr
    sc[rr, cc] = cc
    R, C = np.mgrid[0:ny, 0:nx].astype(np.int32)
    big = np.float64(1e30)

    def d2(ar, ac):
        return np.where(ar >= 0, (ar - R).astype(np.float64) ** 2 + (ac - C).astype(np.float64) ** 2, big)

    best = d2(sr, sc)
    k = 1
    while k < max(ny, nx):
        k *= 2
    steps = []
    while k >= 1:
        steps.append(k)
        k //= 2
    steps += [2, 1]
    for k in steps:
        for dy in (-k, 0, k):
            for dx in (-k, 0, k):
                if (dy == 0 and dx == 0) or abs(dy) >= ny or abs(dx) >= nx:
                    continue
                # candidate from neighbour (r+dy, c+dx)
                ys = slice(max(0, -dy), ny - max(0, dy))
                yd = slice(max(0, dy), ny - max(0, -dy))
                xs = slice(max(0, -dx), nx - max(0, dx))
                xd = slice(max(0, dx), nx - max(0, -dx))
                cr = sr[yd, xd]
                cc2 = sc[yd, xd]
                Rs = R[ys, xs]
                Cs = C[ys, xs]
                dd = np.where(cr >= 0, (cr - Rs).astype(np.float64) ** 2 + (cc2 - Cs).astype(np.float64) ** 2, big)
                b = best[ys, xs]
                upd = dd < b
                if upd.any():
                    b[upd] = dd[upd]
                    sr[ys, xs][upd] = cr[upd]
                    sc[ys, xs][upd] = cc2[upd]
    return sr, sc, np.sqrt(best)


# --------------------------------------------------------------------------- drainage
NB = [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]


def priority_flood(elev, seeds, valid=None, eps=0.0, fill=True):
    """Priority-flood from seed cells.  Returns (filled, parent, order):
    filled: elevation with depressions filled (plus eps per step if eps>0);
            with fill=False cells are visited in order of their own elevation
            (a least-cost "breaching" tree) and nothing is filled,
    parent: flat index of the cell each cell was reached from (-1 for seeds),
    order: flat indices in visiting order (parents always before children).
    Ties are broken by the cell index, so the result is deterministic."""
    ny, nx = elev.shape
    px = nx + 2
    # pad with a closed border so that the inner loop needs no bounds checks
    zp = np.zeros((ny + 2, px))
    zp[1:-1, 1:-1] = elev
    z = zp.ravel().tolist()
    cl = np.ones((ny + 2, px), np.uint8)
    cl[1:-1, 1:-1] = 0 if valid is None else (~valid).astype(np.uint8)
    sd = np.zeros((ny + 2, px), bool)
    sd[1:-1, 1:-1] = seeds & (cl[1:-1, 1:-1] == 0)
    seed_idx = np.flatnonzero(sd)
    cl.ravel()[seed_idx] = 1
    closed = bytearray(cl.ravel().tobytes())
    parent = [-1] * ((ny + 2) * px)
    order = []
    heap = [(z[i], i) for i in seed_idx.tolist()]
    heapq.heapify(heap)
    offs = [dy * px + dx for dy, dx in NB]
    push = heapq.heappush
    pop = heapq.heappop
    append = order.append
    while heap:
        zc, i = pop(heap)
        append(i)
        floor = zc + eps
        for d in offs:
            j = i + d
            if closed[j]:
                continue
            closed[j] = 1
            parent[j] = i
            zj = z[j]
            if fill and zj < floor:
                zj = floor
                z[j] = zj
            push(heap, (zj, j))
    # back to unpadded indices
    def unpad(a):
        a = np.asarray(a, dtype=np.int64)
        r, c = np.divmod(a, px)
        return (r - 1) * nx + (c - 1)
    filled = np.array(z).reshape(ny + 2, px)[1:-1, 1:-1].copy()
    par = np.array(parent, dtype=np.int64).reshape(ny + 2, px)[1:-1, 1:-1].ravel()
    par = np.where(par >= 0, unpad(np.maximum(par, 0)), -1)
    return filled, par, unpad(order)


def accumulate(parent, order, weight=None):
    """Flow accumulation (in cells) along a parent tree."""
    n = parent.size
    acc = [1.0] * n if weight is None else weight.ravel().astype(float).tolist()
    par = parent.tolist()
    for i in reversed(order.tolist()):
        p = par[i]
        if p >= 0:
            acc[p] += acc[i]
    return np.array(acc)


D8_OFFS = np.array(NB)
D8_LEN = np.array([math.hypot(dy, dx) for dy, dx in NB])


def d8_receivers(dem, valid, fallback_parent=None):
    """Steepest-descent D8 receiver (flat index) for each cell; -1 where there is
    no lower neighbour (flats, pits, edges) unless fallback_parent is given."""
    ny, nx = dem.shape
    z = dem.astype(np.float64)
    best = np.zeros((ny, nx))
    recv = np.full((ny, nx), -1, np.int64)
    R, C = np.mgrid[0:ny, 0:nx]
    zp = np.pad(z, 1, mode="constant", constant_values=np.inf)
    vp = np.pad(valid, 1, mode="constant", constant_values=False)
    for k, (dy, dx) in enumerate(NB):
        zn = zp[1 + dy:1 + dy + ny, 1 + dx:1 + dx + nx]
        vn = vp[1 + dy:1 + dy + ny, 1 + dx:1 + dx + nx]
        drop = np.where(vn, (z - zn) / D8_LEN[k], -np.inf)
        upd = drop > best
        best[upd] = drop[upd]
        recv[upd] = ((R + dy) * nx + (C + dx))[upd]
    recv[~valid] = -1
    recv = recv.ravel()
    if fallback_parent is not None:
        m = (recv < 0) & valid.ravel()
        recv[m] = fallback_parent[m]
    return recv


def trace(recv, start, max_steps=100000):
    path = [start]
    seen = {start}
    i = start
    for _ in range(max_steps):
        j = int(recv[i])
        if j < 0 or j in seen:
            break
        path.append(j)
        seen.add(j)
        i = j
    return path


# --------------------------------------------------------------------------- vector io
def read_layer(path, layer, where=None):
    ds = ogr.Open(path)
    lyr = ds.GetLayerByName(layer)
    if where:
        lyr.SetAttributeFilter(where)
    out = []
    for f in lyr:
        out.append((dict(f.items()), f.GetGeometryRef().Clone()))
    return out


def to_proj(g):
    g = g.Clone()
    g.AssignSpatialReference(SRS_WGS84)
    g.TransformTo(SRS_PROJ)
    return g


def new_gpkg(path):
    if os.path.exists(path):
        os.remove(path)
    return ogr.GetDriverByName("GPKG").CreateDataSource(path)


def make_layer(ds, name, gtype, fields, srs_=SRS_PROJ, options=None):
    """fields: list of (name, ogr type[, width[, precision]])"""
    lyr = ds.CreateLayer(name, srs_, gtype, options=options or [])
    for fd in fields:
        d = ogr.FieldDefn(fd[0], fd[1])
        if len(fd) > 2:
            d.SetWidth(fd[2])
        if len(fd) > 3:
            d.SetPrecision(fd[3])
        lyr.CreateField(d)
    return lyr


def add_feature(lyr, geom, values):
    f = ogr.Feature(lyr.GetLayerDefn())
    for k, v in values.items():
        if v is None:
            f.SetFieldNull(k)
        else:
            f.SetField(k, v)
    f.SetGeometry(geom)
    lyr.CreateFeature(f)


# --------------------------------------------------------------------------- ellipsoid area
_A = 6378137.0
_F = 1 / 298.257222101
_B = _A * (1 - _F)
_E2 = _F * (2 - _F)


def _coef():
    e2 = _E2
    e4, e6, e8 = e2 * e2, e2 ** 3, e2 ** 4
    A = 1 + (3 / 6) * e2 + (30 / 80) * e4 + (35 / 112) * e6 + (630 / 2304) * e8
    B = (1 / 6) * e2 + (15 / 80) * e4 + (21 / 112) * e6 + (420 / 2304) * e8
    C = (3 / 80) * e4 + (7 / 112) * e6 + (180 / 2304) * e8
    D = (1 / 112) * e6 + (45 / 2304) * e8
    E = (5 / 2304) * e8
    return A, B, C, D, E


_CA, _CB, _CC, _CD, _CE = _coef()


def ring_ellipsoid_area(lon_deg, lat_deg):
    """TD/T 1055-2019 App. D trapezoid series on the CGCS2000 ellipsoid (m^2),
    for a closed or open ring given in degrees.  Returns the absolute value."""
    L = np.radians(np.asarray(lon_deg, float))
    Bv = np.radians(np.asarray(lat_deg, float))
    if L[0] != L[-1] or Bv[0] != Bv[-1]:
        L = np.append(L, L[0])
        Bv = np.append(Bv, Bv[0])
    L0 = L.mean()
    b1, b2 = Bv[:-1], Bv[1:]
    dB = b2 - b1
    Bm = (b1 + b2) / 2
    dL = (L[:-1] + L[1:]) / 2 - L0
    s = (_CA * np.sin(dB / 2) * np.cos(Bm) - _CB * np.sin(3 * dB / 2) * np.cos(3 * Bm)
         + _CC * np.sin(5 * dB / 2) * np.cos(5 * Bm) - _CD * np.sin(7 * dB / 2) * np.cos(7 * Bm)
         + _CE * np.sin(9 * dB / 2) * np.cos(9 * Bm))
    return abs(float(np.sum(2 * _B * _B * dL * s)))


def polygon_ellipsoid_area(poly_proj):
    """Ellipsoid area (m^2) of an EPSG:4545 ogr Polygon/MultiPolygon; holes subtracted."""
    g = poly_proj
    if g.GetGeometryType() in (ogr.wkbMultiPolygon, ogr.wkbMultiPolygon25D):
        return sum(polygon_ellipsoid_area(g.GetGeometryRef(i)) for i in range(g.GetGeometryCount()))
    tot = 0.0
    for k in range(g.GetGeometryCount()):
        ring = g.GetGeometryRef(k)
        pts = ring.GetPoints()
        ll = PROJ_TO_GEO.TransformPoints([(p[0], p[1]) for p in pts])
        a = ring_ellipsoid_area([p[0] for p in ll], [p[1] for p in ll])
        tot += a if k == 0 else -a
    return tot
