"""Synthetic soil samples (field-team CSV + GeoPackage) and co-located rice samples."""

import datetime as dt
import math

import numpy as np
from osgeo import ogr

from common import CELL, fbm, value_noise, xy_to_lonlat, lonlat_to_xy
from mines import ELEMENTS

SEED_SAMPLES = 20240404

# background: median (mg/kg), spatial log-sd, sample log-sd, decimals
BACKGROUND = {
    "cd": (0.17, 0.22, 0.22, 3),
    "pb": (32.0, 0.18, 0.18, 1),
    "as": (10.0, 0.28, 0.25, 2),
    "hg": (0.095, 0.25, 0.25, 3),
    "cr": (62.0, 0.15, 0.15, 1),
    "cu": (25.0, 0.18, 0.18, 1),
    "ni": (24.0, 0.18, 0.18, 1),
    "zn": (80.0, 0.16, 0.16, 1),
}
CAPS = {"cd": 6.0, "pb": 1400.0, "as": 260.0, "hg": 2.2, "cr": 300.0, "cu": 450.0, "ni": 80.0, "zn": 1500.0}
LANDUSE = {"0101": "水田", "0103": "旱地", "0201": "果园"}

N_RANDOM = 380
N_TARGETED = 220
N_RICE = 200


def random_point_in(poly, rng, margin=5.0):
    minx, maxx, miny, maxy = poly.GetEnvelope()
    inner = poly.Buffer(-margin, 2)
    use = inner if (inner is not None and not inner.IsEmpty()) else poly
    for _ in range(500):
        x = float(rng.uniform(minx, maxx))
        y = float(rng.uniform(miny, maxy))
        p = ogr.Geometry(ogr.wkbPoint)
        p.AddPoint_2D(x, y)
        if use.Contains(p):
            return x, y
    c = poly.PointOnSurface()
    return c.GetX(), c.GetY()


def build(T, parcels, pollution, log):
    rng = np.random.default_rng(SEED_SAMPLES)
    g = T.grid
    fields = {e: value_noise(g.shape, 60, rng) * 0.7 + value_noise(g.shape, 15, rng) * 0.3 for e in ELEMENTS}
    ph_field = fbm(g.shape, [80, 30, 10], rng)
    # 融水's southern tip is karst (limestone hills): less acid soils there
    _, ykarst = lonlat_to_xy(109.2, 25.02)
    yy = g.y1 - (np.arange(g.ny) + 0.5) * CELL
    karst = np.clip((ykarst - yy) / 8000.0, 0.0, 1.0)[:, None] * np.ones((1, g.nx))

    usable = [p for p in parcels if not p.get("bowtie")]
    area = np.array([p["tbmj"] for p in usable])
    idx = np.arange(len(usable))
    chosen = []
    w = area / area.sum()
    pick = rng.choice(idx, size=N_RANDOM, replace=False, p=w)
    chosen += sorted(pick.tolist())
    taken = set(chosen)
    near = np.array([p["enr"] > 0.03 and i not in taken for i, p in enumerate(usable)])
    cand = idx[near]
    w2 = area[near] / area[near].sum()
    pick2 = rng.choice(cand, size=min(N_TARGETED, len(cand)), replace=False, p=w2)
    chosen += sorted(pick2.tolist())

    samples = []
    for i in chosen:
        p = usable[i]
        x, y = random_point_in(p["geom"], rng)
        x, y = round(x, 2), round(y, 2)
        r, c = g.rc_of(x, y)
        r, c = int(r), int(c)
        s = {"parcel": p, "x": x, "y": y, "rc": (r, c)}
        ph = 5.55 + 0.55 * ph_field[r, c] + 1.6 * karst[r, c] + rng.normal(0, 0.22)
        s["ph"] = round(float(np.clip(ph, 4.8, 8.0)), 2)
        for e in ELEMENTS:
            med, ssd, isd, nd = BACKGROUND[e]
            bg = med * math.exp(ssd * 2.0 * fields[e][r, c] + rng.normal(0, isd))
            if e == "cd":
                bg *= 1.0 + 0.8 * karst[r, c]       # karst soils carry more Cd
            add = pollution.at(e, r, c) * math.exp(rng.normal(0, 0.35))
            v = min(bg + add, CAPS[e] * (1 + 0.1 * rng.random()))
            s[e] = round(v, nd)
        s["landuse"] = LANDUSE[p["dlbm"]]
        s["sampled"] = dt.date(2023, 10, 9) + dt.timedelta(days=int(rng.integers(0, 49)))
        lon, lat = xy_to_lonlat(x, y)
        s["lon"], s["lat"] = round(lon, 6), round(lat, 6)
        samples.append(s)
    samples.sort(key=lambda s: (s["parcel"]["county_code"], -round(s["y"], -2), s["x"]))
    for k, s in enumerate(samples, 1):
        s["sample_id"] = f"S{k:04d}"

    # lab "below detection" cells: Hg of a few clean background samples
    clean = [s for s in samples if s["parcel"]["enr"] < 0.01 and s["hg"] < 0.09]
    pick = rng.choice(len(clean), size=5, replace=False)
    nd_cells = []
    for k, j in enumerate(sorted(pick.tolist())):
        s = clean[j]
        s["raw_hg"] = "<0.01" if k < 3 else "ND"
        s["hg"] = None
        nd_cells.append((s["sample_id"], "hg", s["raw_hg"]))
    log(f"{len(samples)} soil samples; below-detection cells {nd_cells}")
    return samples, nd_cells


def rice(samples, log):
    rng = np.random.default_rng(SEED_SAMPLES + 1)
    paddy = [s for s in samples if s["landuse"] == "水田"]
    hot = [s for s in paddy if s["parcel"]["enr"] > 0.1]
    hot_pick = hot if len(hot) <= 80 else [hot[i] for i in sorted(rng.choice(len(hot), 80, replace=False).tolist())]
    rest = [s for s in paddy if s not in hot_pick]
    n_rest = N_RICE - len(hot_pick)
    rest_pick = [rest[i] for i in sorted(rng.choice(len(rest), n_rest, replace=False).tolist())]
    out = []
    for s in sorted(hot_pick + rest_pick, key=lambda s: s["sample_id"]):
        ph = s["ph"]
        cd_soil = s["cd"]
        bcf = 0.42 * math.exp(-0.55 * (ph - 5.0))
        r = {"sample_id": s["sample_id"], "crop": "rice", "x": s["x"], "y": s["y"]}
        r["cd"] = round(cd_soil * bcf * math.exp(rng.normal(0, 0.3)), 3)
        r["pb"] = round((0.02 + s["pb"] * 0.00035) * math.exp(rng.normal(0, 0.3)), 3)
        r["as"] = round((0.03 + s["as"] * 0.008) * math.exp(rng.normal(0, 0.25)), 3)
        hg = s["hg"] if s["hg"] is not None else 0.005
        r["hg"] = round((0.001 + hg * 0.025) * math.exp(rng.normal(0, 0.3)), 4)
        r["cr"] = round((0.05 + s["cr"] * 0.0025) * math.exp(rng.normal(0, 0.3)), 3)
        out.append(r)
    log(f"{len(out)} rice samples ({len(hot_pick)} from paddies downstream of mines); "
        f"Cd > 0.2: {sum(r['cd'] > 0.2 for r in out)}")
    return out
