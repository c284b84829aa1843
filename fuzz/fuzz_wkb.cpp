// libFuzzer target: bytes -> geometry ingestion as VectorReader::read() does it for each
// feature: WKB decoded by OGR (ISO and extended/EWKB-style variants), curves linearised,
// Z/M dropped, reprojected (once taken as CGCS2000 lon/lat, once as already in the
// working CRS), converted to GEOS, checked and repaired with MakeValid
// (io::prepare_geometry, io::ingest_geometry), then measured in the working CRS
// (ellipsoidal and planar). soilrisk::Error is an expected outcome; crashes, sanitizer
// reports, hangs and leaks are bugs.
#include <cpl_error.h>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <ogr_geometry.h>

#include "io/gdal_util.hpp"
#include "soilrisk/core/area.hpp"
#include "soilrisk/core/crs.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/core/log.hpp"

using namespace soilrisk;

namespace {

struct Setup {
    Crs working = Crs::from_epsg(4545); // CGCS2000 / 3-degree GK CM 108E
    Crs lonlat = Crs::from_epsg(4490);  // CGCS2000 geographic
    Transform to_working{lonlat, working};
    // Edges are densified every 1 km instead of 10 m: the same code, but a mutated
    // polygon with continent-long edges costs seconds instead of minutes under ASan.
    AreaCalculator ellipsoidal{working, AreaMode::ellipsoidal, AreaTuning{1000.0}};
    AreaCalculator planar{working, AreaMode::planar};
};

Setup& setup() {
    static Setup* s = [] {
        io::gdal_init();
        CPLSetErrorHandler(CPLQuietErrorHandler);
        return new Setup();
    }();
    return *s;
}

void ingest(const std::uint8_t* data, std::size_t size, OGRwkbVariant variant, bool from_lonlat) {
    Setup& s = setup();
    OGRGeometry* raw = nullptr;
    if (OGRGeometryFactory::createFromWkb(data, nullptr, &raw, size, variant) != OGRERR_NONE ||
        !raw)
        return;
    std::unique_ptr<OGRGeometry> g(raw);
    if (g->IsEmpty()) return; // read() drops empty geometries before ingestion
    if (!io::prepare_geometry(g, from_lonlat ? s.to_working.ogr() : nullptr) || !g) return;
    const io::GeometryKind kind = io::kind_of(g->getGeometryType());
    for (const io::InvalidPolicy policy : {io::InvalidPolicy::fix, io::InvalidPolicy::skip}) {
        try {
            io::IngestedGeometry ig = io::ingest_geometry(*g, kind, policy, "fuzz.wkb, feature 1");
            if (!ig.geom) continue;
            try {
                (void)s.ellipsoidal.area_m2(ig.geom.get());
            } catch (const Error&) {
            }
            try {
                (void)s.planar.area_m2(ig.geom.get());
            } catch (const Error&) {
            }
        } catch (const Error&) {
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // The first byte chooses the variant and the CRS of the coordinates; the rest is WKB.
    if (size < 1) return 0;
    const std::uint8_t mode = data[0];
    const OGRwkbVariant variant = (mode & 1) ? wkbVariantIso : wkbVariantOldOgc;
    ingest(data + 1, size - 1, variant, (mode & 2) != 0);
    (void)take_warnings();
    return 0;
}
