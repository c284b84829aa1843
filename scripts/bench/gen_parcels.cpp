// Benchmark workload for `soilrisk near`: N irregular parcels tiling a region (a jittered
// 100 m grid whose shared edges carry 4–14 jittered points each, so that every parcel has
// 20–60 vertices and neighbours share their edges exactly), with categories 1/2/3 and
// four counties, plus M mine points. CGCS2000 / 3-degree GK CM 108E (EPSG:4545), near
// Liuzhou. Deterministic for a given seed.
//
//   gen_parcels N farmland.gpkg mines.gpkg [mines=50] [seed=1]
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>
#include <string>
#include <vector>

namespace {

std::uint64_t mix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}
double unit(std::uint64_t a, std::uint64_t b, std::uint64_t c, std::uint64_t seed) {
    return (mix(mix(mix(a * 0x100000001b3ULL ^ b) ^ c * 0x9e37ULL) ^ seed) >> 11) * 0x1.0p-53;
}

constexpr double kCell = 100.0, kX0 = 560000.0, kY0 = 2650000.0;

struct Grid {
    long nx, ny;
    std::uint64_t seed;
    double cx(long i, long j) const {
        return kX0 + i * kCell + (i > 0 && i < nx ? (unit(i, j, 1, seed) - 0.5) * 40 : 0);
    }
    double cy(long i, long j) const {
        return kY0 + j * kCell + (j > 0 && j < ny ? (unit(i, j, 2, seed) - 0.5) * 40 : 0);
    }
    /// Intermediate points of the edge from corner a to corner b; `kind` 0 horizontal,
    /// 1 vertical; (i, j) names the edge.
    void edge(long i, long j, int kind, double ax, double ay, double bx, double by, bool reverse,
              OGRLinearRing& ring) const {
        const int e = 4 + static_cast<int>(unit(i, j, 10 + kind, seed) * 11); // 4..14
        const double dx = bx - ax, dy = by - ay, len = std::hypot(dx, dy);
        const double nxv = -dy / len, nyv = dx / len;
        std::vector<std::pair<double, double>> pts;
        for (int k = 0; k < e; ++k) {
            const double t =
                (k + 1 + (unit(i, j, 100 + k + 20 * kind, seed) - 0.5) * 0.5) / (e + 1);
            const double off = (unit(i, j, 200 + k + 20 * kind, seed) - 0.5) * 6;
            pts.emplace_back(ax + t * dx + off * nxv, ay + t * dy + off * nyv);
        }
        if (reverse)
            for (auto it = pts.rbegin(); it != pts.rend(); ++it)
                ring.addPoint(it->first, it->second);
        else
            for (const auto& p : pts)
                ring.addPoint(p.first, p.second);
    }
};

} // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: %s N farmland.gpkg mines.gpkg [mines=50] [seed=1]\n", argv[0]);
        return 2;
    }
    const long n = std::atol(argv[1]);
    const int nmines = argc > 4 ? std::atoi(argv[4]) : 50;
    const std::uint64_t seed = argc > 5 ? std::strtoull(argv[5], nullptr, 10) : 1;
    GDALAllRegister();
    GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GPKG");
    OGRSpatialReference srs;
    srs.importFromEPSG(4545);
    Grid g{static_cast<long>(std::ceil(std::sqrt(double(n)))), 0, seed};
    g.ny = (n + g.nx - 1) / g.nx;

    GDALDataset* ds = drv->Create(argv[2], 0, 0, 0, GDT_Unknown, nullptr);
    if (!ds) return 1;
    OGRLayer* lyr = ds->CreateLayer("farmland", &srs, wkbPolygon, nullptr);
    for (auto [name, type] : {std::pair{"parcel_id", OFTString}, std::pair{"category", OFTInteger},
                              std::pair{"county", OFTString}}) {
        OGRFieldDefn fd(name, type);
        lyr->CreateField(&fd);
    }
    const char* counties[] = {"柳南区", "柳北区", "柳江区", "鹿寨县"};
    ds->StartTransaction();
    long made = 0;
    for (long j = 0; j < g.ny && made < n; ++j) {
        for (long i = 0; i < g.nx && made < n; ++i, ++made) {
            OGRLinearRing ring;
            const double x00 = g.cx(i, j), y00 = g.cy(i, j), x10 = g.cx(i + 1, j),
                         y10 = g.cy(i + 1, j), x11 = g.cx(i + 1, j + 1), y11 = g.cy(i + 1, j + 1),
                         x01 = g.cx(i, j + 1), y01 = g.cy(i, j + 1);
            ring.addPoint(x00, y00);
            g.edge(i, j, 0, x00, y00, x10, y10, false, ring);
            ring.addPoint(x10, y10);
            g.edge(i + 1, j, 1, x10, y10, x11, y11, false, ring);
            ring.addPoint(x11, y11);
            g.edge(i, j + 1, 0, x01, y01, x11, y11, true, ring);
            ring.addPoint(x01, y01);
            g.edge(i, j, 1, x00, y00, x01, y01, true, ring);
            ring.closeRings();
            OGRPolygon poly;
            poly.addRing(&ring);
            OGRFeature f(lyr->GetLayerDefn());
            char id[32];
            std::snprintf(id, sizeof id, "P%08ld", made + 1);
            f.SetField(0, id);
            const double u = unit(i, j, 7, seed);
            f.SetField(1, u < 0.6 ? 1 : u < 0.88 ? 2 : 3);
            f.SetField(2, counties[(i * 2 / g.nx) + 2 * (j * 2 / g.ny)]);
            f.SetGeometry(&poly);
            if (lyr->CreateFeature(&f) != OGRERR_NONE) return 1;
        }
    }
    ds->CommitTransaction();
    GDALClose(ds);

    ds = drv->Create(argv[3], 0, 0, 0, GDT_Unknown, nullptr);
    if (!ds) return 1;
    lyr = ds->CreateLayer("mines", &srs, wkbPoint, nullptr);
    for (const char* name : {"mine_id", "name"}) {
        OGRFieldDefn fd(name, OFTString);
        lyr->CreateField(&fd);
    }
    for (int m = 0; m < nmines; ++m) {
        OGRPoint p(kX0 + unit(m, 0, 900, seed) * g.nx * kCell,
                   kY0 + unit(m, 0, 901, seed) * g.ny * kCell);
        OGRFeature f(lyr->GetLayerDefn());
        char id[16], name[32];
        std::snprintf(id, sizeof id, "M%02d", m + 1);
        std::snprintf(name, sizeof name, "Mine %02d", m + 1);
        f.SetField(0, id);
        f.SetField(1, name);
        f.SetGeometry(&p);
        if (lyr->CreateFeature(&f) != OGRERR_NONE) return 1;
    }
    GDALClose(ds);
    std::printf("%ld parcels (%ld x %ld grid, %.1f x %.1f km), %d mines\n", made, g.nx, g.ny,
                g.nx * kCell / 1000, g.ny * kCell / 1000, nmines);
    return 0;
}
