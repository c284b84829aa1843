"""Synthetic construction-land plots, planned land use and sensitive receptors
around the Liuzhou city districts (for the contaminated-site analysis)."""

import math

import numpy as np
from osgeo import ogr

from common import ADMIN_GPKG, RIVERS_GPKG, lonlat_to_xy, read_layer, to_proj
from farmland import ring_polygon, voronoi_cells

SEED_SITES = 20240505
CENTER = (109.41, 24.33)
DISTRICTS = {"450202": "城中区", "450203": "鱼峰区", "450204": "柳南区", "450205": "柳北区"}

USE = {"07": "居住用地", "08": "公共管理与公共服务用地", "09": "商业服务业用地",
       "10": "工矿用地", "12": "交通运输用地", "14": "绿地与开敞空间用地"}

# plot_id, name, enterprise (all fictitious), register, survey, risk_control, planned use forced under it
PLOTS = [
    ("P01", "示例化工厂原址地块", "柳州示例化工有限公司（虚构）", "priority", "yes", "no", "07"),
    ("P02", "示例电镀厂原址地块", "示例电镀加工厂（虚构）", "priority", "yes", "yes", "08"),
    ("P03", "示例冶炼厂原址地块", "示例冶炼有限公司（虚构）", "remediation", "yes", "yes", "07"),
    ("P04", "示例农药厂原址地块", "示例农药厂（虚构）", "remediation", "yes", "yes", "14"),
    ("P05", "示例焦化厂原址地块", "示例焦化有限公司（虚构）", "remediated", "yes", "yes", "07"),
    ("P06", "示例制革厂原址地块", "示例皮革厂（虚构）", "remediated", "yes", "no", "09"),
    ("P07", "示例机械厂原址地块", "示例机械制造有限公司（虚构）", "remediated", "yes", "no", "08"),
    ("P08", "示例印染厂原址地块", "示例印染有限公司（虚构）", "none", "no", "no", "07"),
    ("P09", "示例蓄电池厂地块", "示例蓄电池有限公司（虚构）", "priority", "no", "no", "10"),
    ("P10", "示例加油站原址地块", "示例石油销售站（虚构）", "none", "yes", "no", "09"),
    ("P11", "示例仓储物流地块", "示例物流有限公司（虚构）", "none", "no", "no", "12"),
    ("P12", "示例水泥厂原址地块", "示例建材有限公司（虚构）", "none", "no", "no", "10"),
]

RECEPTORS = [
    ("示例第一小学", "school"), ("示例第二小学", "school"), ("示例中学", "school"),
    ("示例实验学校", "school"), ("示例幼儿园", "kindergarten"), ("示例人民医院", "hospital"),
    ("示例社区卫生服务中心", "hospital"), ("示例养老院", "elderly_care"),
    ("示例水厂取水口（上游）", "water_intake"), ("示例水厂取水口（下游）", "water_intake"),
]


def _blob(cx, cy, rad, nv, rng):
    pts = []
    a0 = rng.uniform(0, 2 * math.pi)
    for k in range(nv):
        a = a0 + 2 * math.pi * k / nv + rng.uniform(-0.25, 0.25) * 2 * math.pi / nv
        r = rad * rng.uniform(0.75, 1.2)
        pts.append((round(cx + r * math.cos(a), 2), round(cy + r * math.sin(a), 2)))
    return ring_polygon(pts)


def build(log):
    rng = np.random.default_rng(SEED_SITES)
    dist = {str(a["adcode"]): to_proj(g) for a, g in read_layer(ADMIN_GPKG, "liuzhou_counties")
            if str(a["adcode"]) in DISTRICTS}
    urban = None
    for g in dist.values():
        urban = g if urban is None else urban.Union(g)
    cx0, cy0 = lonlat_to_xy(*CENTER)

    # ---- plots
    plots = []
    centers = []
    tries = 0
    while len(plots) < len(PLOTS):
        tries += 1
        a = rng.uniform(0, 2 * math.pi)
        r = 6500.0 * math.sqrt(rng.uniform(0.02, 1.0))
        x, y = cx0 + r * math.cos(a), cy0 + r * math.sin(a)
        if any(math.hypot(x - u, y - v) < 1200.0 for u, v in centers):
            continue
        poly = _blob(x, y, rng.uniform(90, 170), int(rng.integers(6, 10)), rng)
        if not poly.IsValid() or not urban.Contains(poly):
            continue
        code = next(c for c, g in dist.items() if g.Contains(poly.Centroid()))
        pid, name, ent, reg, sur, rc, use = PLOTS[len(plots)]
        plots.append({"plot_id": pid, "name": name, "enterprise": ent, "register": reg,
                      "survey": sur, "risk_control": rc, "county": DISTRICTS[code],
                      "geom": poly, "use": use})
        centers.append((x, y))

    # ---- planned land use: Voronoi blocks tiling the box around the plots
    xs = [c[0] for c in centers]
    ys = [c[1] for c in centers]
    minx, maxx = min(xs) - 1500, max(xs) + 1500
    miny, maxy = min(ys) - 1500, max(ys) + 1500
    minx, maxx, miny, maxy = (math.floor(minx / 100) * 100, math.ceil(maxx / 100) * 100,
                              math.floor(miny / 100) * 100, math.ceil(maxy / 100) * 100)
    box = ogr.CreateGeometryFromWkt(
        f"POLYGON(({minx} {miny},{maxx} {miny},{maxx} {maxy},{minx} {maxy},{minx} {miny}))")
    sx, sy = [], []
    for _ in range(60000):
        if len(sx) >= 600:
            break
        x = rng.uniform(minx, maxx)
        y = rng.uniform(miny, maxy)
        if all(math.hypot(x - u, y - v) > 380.0 for u, v in zip(sx, sy)):
            sx.append(x)
            sy.append(y)
    n_real = len(sx)
    # a ring of far dummies so that every real seed has a closed cell
    R = max(maxx - minx, maxy - miny)
    mx, my = (minx + maxx) / 2, (miny + maxy) / 2
    for k in range(24):
        a = 2 * math.pi * k / 24
        sx.append(mx + 2 * R * math.cos(a))
        sy.append(my + 2 * R * math.sin(a))
    X = np.round(np.array(sx), 2)
    Y = np.round(np.array(sy), 2)
    cells = voronoi_cells(X, Y, rng, jitter=0.0, midpoints=False)
    codes = list(USE)
    weights = np.array([0.36, 0.10, 0.16, 0.16, 0.10, 0.12])
    zones = []
    for i in range(n_real):
        cell = ring_polygon([(round(x, 2), round(y, 2)) for x, y in cells[i]])
        poly = cell.Intersection(box)
        if poly is None or poly.IsEmpty():
            continue
        code = str(rng.choice(codes, p=weights))
        zones.append({"geom": poly, "use_code": code})
    # the planned use under each plot's centroid is part of its scenario
    for p in plots:
        c = p["geom"].Centroid()
        for z in zones:
            if z["geom"].Contains(c):
                z["use_code"] = p["use"]
                break
    for k, z in enumerate(zones, 1):
        z["zone_id"] = f"Z{k:03d}"
        z["use_name"] = USE[z["use_code"]]

    # ---- receptors
    rivers = [to_proj(g) for _, g in read_layer(RIVERS_GPKG, "rivers")]
    liu = min(rivers, key=lambda g: g.Distance(ogr.CreateGeometryFromWkt(f"POINT({cx0} {cy0})")))
    receptors = []
    for k, (name, kind) in enumerate(RECEPTORS):
        if kind == "water_intake":
            # on the bank of the Liu river, up- and downstream of the centre
            proj_pts = liu.GetPoints()
            d = [math.hypot(px - cx0, py - cy0) for px, py, *_ in proj_pts]
            j0 = int(np.argmin(d))
            j = max(0, j0 - 6) if "上游" in name else min(len(proj_pts) - 1, j0 + 6)
            x, y = proj_pts[j][0] + 60.0, proj_pts[j][1]
        else:
            p = plots[k % len(plots)]
            c = p["geom"].Centroid()
            for _ in range(100):
                a = rng.uniform(0, 2 * math.pi)
                r = rng.uniform(250, 900)
                x, y = c.GetX() + r * math.cos(a), c.GetY() + r * math.sin(a)
                pt = ogr.CreateGeometryFromWkt(f"POINT({x} {y})")
                if not any(q["geom"].Contains(pt) for q in plots):
                    break
        pt = ogr.Geometry(ogr.wkbPoint)
        pt.AddPoint_2D(round(float(x), 2), round(float(y), 2))
        receptors.append({"receptor_id": f"R{k + 1:02d}", "name": name, "kind": kind, "geom": pt})
    log(f"{len(plots)} plots, {len(zones)} planned-use zones, {len(receptors)} receptors")
    return plots, zones, receptors
