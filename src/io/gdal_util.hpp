// GDAL helpers private to the library: RAII owners, one-time registration, capture of
// GDAL's error messages so that they can be put into our own one-line errors.
#pragma once

#include <gdal_priv.h>
#include <memory>
#include <string>

#include "soilrisk/core/geos.hpp"
#include "soilrisk/io/vector.hpp"

namespace soilrisk::io {

struct GdalDatasetCloser {
    void operator()(GDALDataset* ds) const noexcept {
        if (ds) GDALClose(GDALDataset::ToHandle(ds));
    }
};
using GdalDatasetPtr = std::unique_ptr<GDALDataset, GdalDatasetCloser>;

/// Registers GDAL drivers once (thread-safe) and sets the options soilrisk relies on.
void gdal_init();

/// Collects CPL errors raised while alive instead of printing them.
class CplErrorCapture {
  public:
    CplErrorCapture();
    ~CplErrorCapture();
    CplErrorCapture(const CplErrorCapture&) = delete;
    CplErrorCapture& operator=(const CplErrorCapture&) = delete;
    /// The last error (failure or warning) message, "" if none.
    std::string message() const { return last_; }
    /// The first failure (CE_Failure or worse) message, "" if none.
    const std::string& failure() const { return failure_; }

  private:
    static void CPL_STDCALL handler(CPLErr, CPLErrorNum, const char* msg);
    std::string last_;
    std::string failure_;
};

/// `text` on one line: line breaks and tabs become spaces, runs of spaces one space.
std::string one_line(const std::string& text);

/// The error for a PostgreSQL connection that failed: `what` (already redacted) and
/// GDAL's message (redacted and on one line here), with what to check.
std::string postgis_connect_error(const std::string& what, const std::string& gdal_message);

/// Geometry kind of an OGR geometry type (curves count as lines and polygons).
GeometryKind kind_of(OGRwkbGeometryType t);

/// First step of ingesting a feature's geometry, as VectorReader::read() does it
/// (serially: OGR transformations are not thread-safe): curves linearised, Z and M
/// dropped, reprojected with `ct` when not null. Returns false when the coordinates
/// cannot be transformed.
bool prepare_geometry(std::unique_ptr<OGRGeometry>& g, OGRCoordinateTransformation* ct);

/// Second step (thread-safe): conversion to GEOS, validity check of lines and polygons,
/// repair under `policy`. Throws DataError naming `where` when the geometry cannot be
/// converted, or is invalid under InvalidPolicy::error.
struct IngestedGeometry {
    enum Status { keep, invalid_skip, repaired, unrepairable } status = keep;
    geos::GeomPtr geom; ///< null unless keep or repaired
    std::string why;    ///< GEOS's reason when invalid
};
IngestedGeometry ingest_geometry(const OGRGeometry& g, GeometryKind kind, InvalidPolicy policy,
                                 const std::string& where);

/// Repairs an invalid geometry with GEOS MakeValid (structure method) and keeps only the
/// parts of the expected kind (polygonal for polygon layers, lineal for line layers).
/// Returns null or empty when nothing of that kind is left.
geos::GeomPtr make_valid_keep(const GEOSGeom_t* g, GeometryKind kind);

} // namespace soilrisk::io
