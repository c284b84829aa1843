"""The five historic mining areas (illustrative positions), their tailings ponds,
D8 downstream paths and the resulting soil-enrichment field."""

import math

import numpy as np
from osgeo import ogr

from common import CELL, lonlat_to_xy, nearest_seed, trace, xy_to_lonlat

SEED_MINES = 20240303

# name, mineral, county code, nominal township position (lon, lat; approximate,
# from general geographic knowledge), element profile key
MINES = [
    ("M1", "融水大浪龙远铅锌矿", "铅锌", "450225", (109.12, 24.96), "pbzn", "融水县大浪镇"),
    ("M2", "福克天采矿厂蚂拐沟锡矿", "锡", "450225", (108.95, 25.38), "sn", "融水县（九万山一带）"),
    ("M3", "金锋铜矿六秀后山108铜矿", "铜", "450225", (109.05, 25.30), "cu", "融水县"),
    ("M4", "同练乡大平村历史遗留矿区", "铅锌、砷等（历史遗留）", "450225", (108.72, 25.28), "legacy",
     "融水县同练瑶族乡"),
    ("M5", "三江高基乡蓖梳铅锌矿", "铅锌", "450226", (109.70, 25.60), "pbzn", "三江县高基瑶族乡"),
]

# enrichment (mg/kg added to the soil at the mine's outfall) per profile
PROFILES = {
    "pbzn":   {"cd": 4.0, "pb": 950.0, "as": 35.0, "hg": 0.25, "cr": 0.0, "cu": 35.0, "ni": 4.0, "zn": 900.0},
    "sn":     {"cd": 1.2, "pb": 320.0, "as": 160.0, "hg": 0.15, "cr": 0.0, "cu": 60.0, "ni": 6.0, "zn": 280.0},
    "cu":     {"cd": 2.0, "pb": 160.0, "as": 45.0, "hg": 0.10, "cr": 10.0, "cu": 320.0, "ni": 25.0, "zn": 320.0},
    "legacy": {"cd": 3.2, "pb": 520.0, "as": 90.0, "hg": 0.90, "cr": 5.0, "cu": 80.0, "ni": 8.0, "zn": 520.0},
}
DECAY_M = {"pbzn": 7000.0, "sn": 6000.0, "cu": 6000.0, "legacy": 6500.0}
ELEMENTS = ["cd", "pb", "as", "hg", "cr", "cu", "ni", "zn"]


def place(T, log, search_km=14.0):
    """Pick, near each nominal position, the nearest hillside cell 50-300 m above
    its valley (and >= 8 km from the mines already placed) whose simple D8 trace
    (integer DEM, steepest descent, no flat handling) reaches farm-mask cells
    within 2.5 km and crosses >= 15 of them within 10 km (relaxed to 4 km / 10
    cells if nothing qualifies)."""
    g = T.grid
    ny, nx = g.shape
    F = T.farm_mask
    Ff = F.ravel()
    mines = []
    taken = []
    for mid, name, mineral, code, (lon, lat), prof, town in MINES:
        x0, y0 = lonlat_to_xy(lon, lat)
        r0, c0 = g.rc_of(x0, y0)
        rad = int(search_km * 1000 / CELL)
        best = None
        rs = range(max(1, r0 - rad), min(ny - 1, r0 + rad))
        cs = range(max(1, c0 - rad), min(nx - 1, c0 + rad))
        sub = np.s_[rs.start:rs.stop, cs.start:cs.stop]
        cand = (T.in_county[code][sub] & ~T.floor[sub] & (T.hand[sub] > 50) & (T.hand[sub] < 300)
                & (T.slope[sub] > 0.08) & (T.slope[sub] < 0.6) & (T.dem_f[sub] < 900))
        rr, cc = np.nonzero(cand)
        rr = rr + rs.start
        cc = cc + cs.start
        d0 = np.hypot(rr - r0, cc - c0)
        order = np.argsort(d0, kind="stable")
        # strict criteria first, then relaxed ones
        for max_first, min_n10 in ((2500.0, 15), (4000.0, 10)):
            for k in order:
                r, c = int(rr[k]), int(cc[k])
                if any(math.hypot(r - a, c - b) < 80 for a, b in taken):
                    continue
                path = trace(T.recv_simple, r * nx + c, 2000)
                steps = np.zeros(len(path))
                for q in range(1, len(path)):
                    a, b = divmod(path[q - 1], nx)
                    e, f = divmod(path[q], nx)
                    steps[q] = CELL * (math.sqrt(2) if (a != e and b != f) else 1.0)
                s = np.cumsum(steps)
                inF = Ff[np.array(path)]
                if not inF.any():
                    continue
                first = s[np.argmax(inF)]
                n10 = int(inF[s <= 10000].sum())
                if first > max_first or n10 < min_n10:
                    continue
                best = (r, c, first, n10, s[-1])
                break
            if best is not None:
                break
        if best is None:
            raise RuntimeError(f"no site found for {mid}")
        r, c, first, n10, slen = best
        taken.append((r, c))
        rng = np.random.default_rng(SEED_MINES + len(mines))
        x, y = g.xy_of(r, c)
        x = float(x + rng.uniform(-30, 30))
        y = float(y + rng.uniform(-30, 30))
        lon2, lat2 = xy_to_lonlat(x, y)
        log(f"{mid} {name}: cell ({r},{c}) elev {T.dem_i[r, c]} m, hand {T.hand[r, c]:.0f} m, "
            f"{math.hypot(r - r0, c - c0) * CELL / 1000:.1f} km from nominal; simple-D8 trace: "
            f"first farm cell after {first:.0f} m, {n10} farm cells in 10 km, stalls after {slen / 1000:.1f} km")
        mines.append({"mine_id": mid, "name": name, "mineral": mineral, "county_code": code,
                      "profile": prof, "town": town, "x": round(x, 2), "y": round(y, 2),
                      "lon": lon2, "lat": lat2, "rc": (r, c), "nominal": (lon, lat)})
    return mines


def tailings(T, mines, rng, which=("M1", "M5")):
    """A small tailings-pond polygon on the downstream path, 200-400 m below
    the mine, for the listed mines."""
    g = T.grid
    nx = g.nx
    out = []
    for m in mines:
        if m["mine_id"] not in which:
            continue
        r, c = m["rc"]
        path = trace(T.recv, r * nx + c, 50)
        k = min(3, len(path) - 1)
        pr, pc = divmod(path[k], nx)
        cx, cy = g.xy_of(pr, pc)
        # orientation along the flow
        qr, qc = divmod(path[min(k + 2, len(path) - 1)], nx)
        ang = math.atan2(-(qr - pr), (qc - pc))
        L, W = 75.0 + rng.uniform(0, 25), 45.0 + rng.uniform(0, 15)
        pts = []
        for a in np.linspace(0, 2 * math.pi, 8, endpoint=False):
            rr_ = 1.0 + rng.uniform(-0.12, 0.12)
            px, py = L * rr_ * math.cos(a), W * rr_ * math.sin(a)
            pts.append((round(cx + px * math.cos(ang) - py * math.sin(ang), 2),
                        round(cy + px * math.sin(ang) + py * math.cos(ang), 2)))
        ring = ogr.Geometry(ogr.wkbLinearRing)
        for p in pts + [pts[0]]:
            ring.AddPoint_2D(*p)
        poly = ogr.Geometry(ogr.wkbPolygon)
        poly.AddGeometry(ring)
        out.append({"mine_id": m["mine_id"], "name": m["name"] + "尾矿库", "geom": poly,
                    "area_m2": round(poly.GetArea(), 2)})
    return out


class Pollution:
    """Per-element enrichment rasters built from the mines' downstream paths."""

    def __init__(self, T, mines, log):
        g = T.grid
        ny, nx = g.shape
        V = {e: np.zeros(g.shape) for e in ELEMENTS}
        onpath = np.zeros(g.shape, bool)
        pelev = np.full(g.shape, np.inf)
        self.paths = {}
        for m in mines:
            r, c = m["rc"]
            path = trace(T.recv, r * nx + c, 3000)
            s = 0.0
            prof = PROFILES[m["profile"]]
            L = DECAY_M[m["profile"]]
            rc_path = []
            for q, i in enumerate(path):
                pr, pc = divmod(i, nx)
                if q > 0:
                    a, b = divmod(path[q - 1], nx)
                    s += CELL * (math.sqrt(2) if (a != pr and b != pc) else 1.0)
                if s > 60000 or not T.valid[pr, pc]:
                    break
                w = math.exp(-s / L)
                for e in ELEMENTS:
                    V[e][pr, pc] += prof[e] * w
                onpath[pr, pc] = True
                pelev[pr, pc] = min(pelev[pr, pc], T.dem_f[pr, pc])
                rc_path.append((pr, pc, s))
            self.paths[m["mine_id"]] = rc_path
            log(f"{m['mine_id']} downstream path {s / 1000:.1f} km")
        sr, sc, d = nearest_seed(onpath)
        d = d * CELL
        dh = T.dem_f - pelev[sr, sc]
        lam = np.where(T.d_main < 1200, 450.0, 300.0)
        lat = np.exp(-d / lam) * np.exp(-np.maximum(dh - 6.0, 0.0) / 8.0)
        yy, xx = np.mgrid[0:ny, 0:nx]
        self.enrich = {e: V[e][sr, sc] * lat for e in ELEMENTS}
        # a little wind-blown dust right around each mine, with its own profile
        for m in mines:
            r, c = m["rc"]
            w = 0.25 * np.exp(-np.hypot(yy - r, xx - c) * CELL / 700.0)
            for e in ELEMENTS:
                self.enrich[e] += w * PROFILES[m["profile"]][e]
        self.onpath = onpath

    def at(self, e, r, c):
        return float(self.enrich[e][r, c])

    def index(self, r, c):
        """Expected pollution level: ratio of the expected concentration to the
        GB 15618 intervention value (pH <= 5.5) of Cd, Pb, As."""
        cd = 0.2 + self.at("cd", r, c)
        pb = 35 + self.at("pb", r, c)
        as_ = 12 + self.at("as", r, c)
        return max(cd / 1.5, pb / 400.0, as_ / 200.0)

    def screen_index(self, r, c):
        cd = 0.2 + self.at("cd", r, c)
        pb = 35 + self.at("pb", r, c)
        as_ = 12 + self.at("as", r, c)
        return max(cd / 0.3, pb / 80.0, as_ / 30.0)

    def classify_parcels(self, T, parcels, rng):
        for p in parcels:
            r, c = p["rc"]
            f = float(np.exp(rng.normal(0, 0.25)))
            gi = self.index(r, c) * f
            si = self.screen_index(r, c) * f
            p["pidx"] = gi
            # mine-borne part only (relative to the Cd/Pb/As intervention values)
            p["enr"] = max(self.at("cd", r, c) / 1.5, self.at("pb", r, c) / 400.0, self.at("as", r, c) / 200.0)
            if gi > 0.9:
                cat = 3
            elif si > 1.25:
                cat = 2
            else:
                cat = 1
            # a handful of parcels with high natural (karst) background elsewhere
            if cat == 1 and rng.random() < 0.006:
                cat = 2
            p["category"] = cat
            if cat == 1:
                p["measures"] = "no"
            else:
                p["measures"] = "yes" if rng.random() < (0.85 if cat == 2 else 0.9) else "no"
