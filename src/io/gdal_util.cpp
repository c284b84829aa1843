#include "io/gdal_util.hpp"
#include "io/simple_polygon.hpp"

#include <cpl_error.h>
#include <geos_c.h>
#include <mutex>
#include <vector>

#include "soilrisk/core/error.hpp"
#include "soilrisk/core/log.hpp"

namespace soilrisk::io {

namespace {

/// GDAL messages outside a CplErrorCapture: to the debug log (--verbose), never printed.
void CPL_STDCALL to_debug_log(CPLErr level, CPLErrorNum, const char* msg) {
    if (level == CE_Debug || !msg) return;
    log_debug(std::string("GDAL: ") + msg);
}

} // namespace

void gdal_init() {
    static std::once_flag once;
    std::call_once(once, [] {
        GDALAllRegister();
        CPLSetErrorHandler(to_debug_log);
        // Errors go through CplErrorCapture or are silenced; the library never prints.
        CPLSetConfigOption("CPL_LOG", nullptr);
        CPLSetConfigOption("OGR_GEOJSON_MAX_OBJ_SIZE", "0");
    });
}

CplErrorCapture::CplErrorCapture() {
    CPLPushErrorHandlerEx(&CplErrorCapture::handler, this);
    CPLSetCurrentErrorHandlerCatchDebug(FALSE);
}

CplErrorCapture::~CplErrorCapture() {
    CPLPopErrorHandler();
}

void CPL_STDCALL CplErrorCapture::handler(CPLErr level, CPLErrorNum, const char* msg) {
    if (level == CE_Debug) return;
    auto* self = static_cast<CplErrorCapture*>(CPLGetErrorHandlerUserData());
    if (self && msg) {
        self->last_ = msg;
        if (level >= CE_Failure && self->failure_.empty()) self->failure_ = msg;
    }
}

std::string one_line(const std::string& text) {
    std::string line;
    for (char c : text) {
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
        if (c == ' ' && (line.empty() || line.back() == ' ')) continue;
        line += c;
    }
    while (!line.empty() && line.back() == ' ')
        line.pop_back();
    return line;
}

std::string postgis_connect_error(const std::string& what, const std::string& gdal_message) {
    // libpq's messages span lines ("connection to server … failed: …\n\tIs the server
    // running …"): one line, and never the password.
    const std::string detail = one_line(redact_password(gdal_message));
    return what + ": cannot connect to PostgreSQL" +
           (detail.empty() ? std::string() : " (" + detail + ")") +
           "; check the connection string (PG:\"dbname=… host=… port=… user=…\"), that the "
           "server is running and accepts this user, and that GDAL has its PostgreSQL driver "
           "(ogrinfo --formats)";
}

GeometryKind kind_of(OGRwkbGeometryType t) {
    switch (wkbFlatten(t)) {
    case wkbPoint:
    case wkbMultiPoint:
        return GeometryKind::point;
    case wkbLineString:
    case wkbMultiLineString:
    case wkbCircularString:
    case wkbCompoundCurve:
    case wkbMultiCurve:
        return GeometryKind::line;
    case wkbPolygon:
    case wkbMultiPolygon:
    case wkbCurvePolygon:
    case wkbMultiSurface:
        return GeometryKind::polygon;
    case wkbNone:
        return GeometryKind::none;
    default:
        return GeometryKind::mixed;
    }
}

bool prepare_geometry(std::unique_ptr<OGRGeometry>& g, OGRCoordinateTransformation* ct) {
    if (!g) return true;
    if (g->hasCurveGeometry()) g.reset(g->getLinearGeometry());
    if (!g) return true;
    if (g->Is3D() || g->IsMeasured()) g->flattenTo2D();
    if (ct && g->transform(ct) != OGRERR_NONE) return false;
    return true;
}

namespace {

/// A closed 2D ring of at least 4 points, straight from OGR's coordinates; null otherwise
/// (the caller then lets OGR convert the geometry, which also handles open or short rings).
GEOSGeometry* direct_ring(GEOSContextHandle_t ctx, const OGRLinearRing* r) {
    const int n = r ? r->getNumPoints() : 0;
    if (n < 4 || r->Is3D() || r->IsMeasured()) return nullptr;
    thread_local std::vector<OGRRawPoint> pts;
    pts.resize(static_cast<std::size_t>(n));
    r->getPoints(pts.data());
    if (pts.front().x != pts.back().x || pts.front().y != pts.back().y) return nullptr;
    static_assert(sizeof(OGRRawPoint) == 2 * sizeof(double));
    GEOSCoordSequence* seq = GEOSCoordSeq_copyFromBuffer_r(
        ctx, reinterpret_cast<const double*>(pts.data()), static_cast<unsigned>(n), 0, 0);
    if (pts.capacity() > (1u << 16)) std::vector<OGRRawPoint>().swap(pts);
    return seq ? GEOSGeom_createLinearRing_r(ctx, seq) : nullptr;
}

/// A 2D polygon of closed rings as GEOS, without the round trip through WKB that
/// OGRGeometry::exportToGEOS makes; null when the polygon needs OGR's own conversion.
GEOSGeometry* direct_polygon(GEOSContextHandle_t ctx, const OGRPolygon& p) {
    if (p.IsEmpty()) return nullptr;
    GEOSGeometry* shell = direct_ring(ctx, p.getExteriorRing());
    if (!shell) return nullptr;
    std::vector<GEOSGeometry*> holes;
    for (int i = 0; i < p.getNumInteriorRings(); ++i) {
        GEOSGeometry* h = direct_ring(ctx, p.getInteriorRing(i));
        if (!h) {
            GEOSGeom_destroy_r(ctx, shell);
            for (auto* x : holes)
                GEOSGeom_destroy_r(ctx, x);
            return nullptr;
        }
        holes.push_back(h);
    }
    return GEOSGeom_createPolygon_r(ctx, shell, holes.data(), static_cast<unsigned>(holes.size()));
}

/// Polygons and multipolygons converted directly; anything else through OGR.
GEOSGeometry* to_geos(GEOSContextHandle_t ctx, const OGRGeometry& g) {
    const OGRwkbGeometryType t = g.getGeometryType();
    if (t == wkbPolygon) {
        if (GEOSGeometry* p = direct_polygon(ctx, *g.toPolygon())) return p;
    } else if (t == wkbMultiPolygon && !g.IsEmpty()) {
        const OGRMultiPolygon& mp = *g.toMultiPolygon();
        std::vector<GEOSGeometry*> parts;
        bool ok = true;
        for (const OGRPolygon* part : mp) {
            GEOSGeometry* q = part ? direct_polygon(ctx, *part) : nullptr;
            if (!q) {
                ok = false;
                break;
            }
            parts.push_back(q);
        }
        if (ok) {
            if (GEOSGeometry* m = GEOSGeom_createCollection_r(ctx, GEOS_MULTIPOLYGON, parts.data(),
                                                              static_cast<unsigned>(parts.size())))
                return m;
        } else {
            for (auto* q : parts)
                GEOSGeom_destroy_r(ctx, q);
        }
    }
    return g.exportToGEOS(ctx);
}

} // namespace

IngestedGeometry ingest_geometry(const OGRGeometry& g, GeometryKind kind, InvalidPolicy policy,
                                 const std::string& where) {
    const auto ctx = geos::ctx();
    IngestedGeometry out;
    out.geom.reset(to_geos(ctx, g));
    if (!out.geom)
        throw DataError(where + ": geometry cannot be converted (" +
                        std::string(geos::last_error()) + ")");
    // Most parcels are one simple ring, proven valid without GEOS's full check.
    if ((kind == GeometryKind::polygon || kind == GeometryKind::line) &&
        !(kind == GeometryKind::polygon && detail::proven_simple_polygon(ctx, out.geom.get())) &&
        GEOSisValid_r(ctx, out.geom.get()) != 1) {
        char* reason = GEOSisValidReason_r(ctx, out.geom.get());
        out.why = reason ? reason : "invalid";
        GEOSFree_r(ctx, reason);
        // NaN or infinite coordinates cannot be repaired into anything true.
        if (out.why.rfind("Invalid Coordinate", 0) == 0 && policy != InvalidPolicy::skip)
            throw DataError(where + ": coordinates are not finite numbers (" + out.why +
                            "); fix or delete the feature, or use --invalid=skip");
        if (policy == InvalidPolicy::error)
            throw DataError(where + ": invalid geometry (" + out.why +
                            "); repair it, or use --invalid=fix or --invalid=skip");
        if (policy == InvalidPolicy::skip) {
            out.status = IngestedGeometry::invalid_skip;
            out.geom.reset();
            return out;
        }
        geos::GeomPtr fixed = make_valid_keep(out.geom.get(), kind);
        if (!fixed || GEOSisEmpty_r(ctx, fixed.get()) == 1) {
            out.status = IngestedGeometry::unrepairable;
            out.geom.reset();
            return out;
        }
        out.geom = std::move(fixed);
        out.status = IngestedGeometry::repaired;
    }
    return out;
}

geos::GeomPtr make_valid_keep(const GEOSGeom_t* g, GeometryKind kind) {
    const auto ctx = geos::ctx();
    GEOSMakeValidParams* params = GEOSMakeValidParams_create_r(ctx);
    GEOSMakeValidParams_setMethod_r(ctx, params, GEOS_MAKE_VALID_STRUCTURE);
    GEOSMakeValidParams_setKeepCollapsed_r(ctx, params, 0);
    geos::GeomPtr fixed(GEOSMakeValidWithParams_r(ctx, g, params));
    GEOSMakeValidParams_destroy_r(ctx, params);
    if (!fixed) {
        // Fall back to the linework method.
        fixed.reset(GEOSMakeValid_r(ctx, g));
        if (!fixed) return nullptr;
    }
    const int want_dim = kind == GeometryKind::polygon ? 2 : kind == GeometryKind::line ? 1 : -1;
    if (want_dim < 0) return fixed;
    if (GEOSGeom_getDimensions_r(ctx, fixed.get()) == want_dim &&
        GEOSGeomTypeId_r(ctx, fixed.get()) != GEOS_GEOMETRYCOLLECTION)
        return fixed;
    // Keep only the parts of the wanted dimension.
    std::vector<GEOSGeometry*> parts;
    const int n = GEOSGetNumGeometries_r(ctx, fixed.get());
    for (int i = 0; i < n; ++i) {
        const GEOSGeometry* part = GEOSGetGeometryN_r(ctx, fixed.get(), i);
        const int type = GEOSGeomTypeId_r(ctx, part);
        const bool keep = want_dim == 2 ? (type == GEOS_POLYGON || type == GEOS_MULTIPOLYGON)
                                        : (type == GEOS_LINESTRING || type == GEOS_MULTILINESTRING);
        if (!keep || GEOSisEmpty_r(ctx, part)) continue;
        const int m = GEOSGetNumGeometries_r(ctx, part);
        for (int j = 0; j < m; ++j)
            parts.push_back(GEOSGeom_clone_r(ctx, GEOSGetGeometryN_r(ctx, part, j)));
    }
    if (parts.empty()) return nullptr;
    return geos::GeomPtr(
        GEOSGeom_createCollection_r(ctx, want_dim == 2 ? GEOS_MULTIPOLYGON : GEOS_MULTILINESTRING,
                                    parts.data(), static_cast<unsigned>(parts.size())));
}

} // namespace soilrisk::io
