// GEOS C API handles behind RAII.
//
// One GEOS context per thread (GEOS contexts are not thread-safe); geometries may be
// read from any thread. Every GEOS call that can fail goes through check(), which turns
// a null result into a soilrisk::Error with GEOS's own message.
#pragma once

#include <memory>
#include <string>
#include <string_view>

// Forward declarations of the GEOS C API types (geos_c.h stays out of public headers).
struct GEOSGeom_t;
struct GEOSPrepGeom_t;
struct GEOSContextHandle_HS;

namespace soilrisk::geos {

using Geom = GEOSGeom_t;
using Context = GEOSContextHandle_HS*;

/// This thread's GEOS context, created on first use and destroyed at thread exit.
Context ctx();

struct GeomDeleter {
    void operator()(Geom* g) const noexcept;
};
struct PreparedDeleter {
    void operator()(const GEOSPrepGeom_t* g) const noexcept;
};

/// Owning pointer to a GEOS geometry.
using GeomPtr = std::unique_ptr<Geom, GeomDeleter>;
/// Owning pointer to a prepared geometry (must not outlive the geometry it prepares).
using PreparedPtr = std::unique_ptr<const GEOSPrepGeom_t, PreparedDeleter>;

/// Takes ownership of `g`; throws Error("GEOS <what> failed: <GEOS message>") if null.
GeomPtr check(Geom* g, std::string_view what);

/// The last error message GEOS reported on this thread ("" if none).
std::string_view last_error();

/// Geometry from WKT / to WKT (for tests and messages). Throws DataError on bad WKT.
GeomPtr from_wkt(std::string_view wkt);
std::string to_wkt(const Geom* g, int precision = 17);

/// Deep copy.
GeomPtr clone(const Geom* g);

} // namespace soilrisk::geos
