#include "soilrisk/core/crs.hpp"

#include <algorithm>
#include <cmath>
#include <cpl_error.h>
#include <cstdio>
#include <ogr_spatialref.h>

#include "soilrisk/core/error.hpp"

namespace soilrisk {

namespace {

std::shared_ptr<const OGRSpatialReference> make_srs(OGRSpatialReference* srs) {
    srs->SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    return std::shared_ptr<const OGRSpatialReference>(
        srs, [](const OGRSpatialReference* p) { const_cast<OGRSpatialReference*>(p)->Release(); });
}

std::string fmt(const char* f, double a, double b = 0, double c = 0, double d = 0) {
    char buf[256];
    std::snprintf(buf, sizeof buf, f, a, b, c, d);
    return buf;
}

} // namespace

Crs::Crs() = default;
Crs::~Crs() = default;
Crs::Crs(const Crs&) = default;
Crs& Crs::operator=(const Crs&) = default;
Crs::Crs(Crs&&) noexcept = default;
Crs& Crs::operator=(Crs&&) noexcept = default;

Crs Crs::parse(std::string_view text, std::string_view what) {
    std::string t(text);
    // A bare number is an EPSG code.
    if (!t.empty() && t.find_first_not_of("0123456789") == std::string::npos) t = "EPSG:" + t;
    auto* srs = new OGRSpatialReference();
    // PROJ's own "crs not found" would print before our one-line error: keep it quiet.
    CPLPushErrorHandler(CPLQuietErrorHandler);
    const bool ok =
        !t.empty() &&
        srs->SetFromUserInput(t.c_str(), OGRSpatialReference::SET_FROM_USER_INPUT_LIMITATIONS) ==
            OGRERR_NONE;
    CPLPopErrorHandler();
    CPLErrorReset();
    if (!ok) {
        srs->Release();
        throw UsageError(std::string(what) + ": '" + std::string(text) +
                         "' is not a known CRS; give an EPSG code (e.g. EPSG:4545), WKT or a "
                         "PROJ string");
    }
    Crs c;
    c.srs_ = make_srs(srs);
    return c;
}

Crs Crs::from_epsg(int code) {
    return parse("EPSG:" + std::to_string(code), "EPSG code");
}

Crs Crs::from_ogr(const OGRSpatialReference* srs) {
    Crs c;
    if (srs) c.srs_ = make_srs(srs->Clone());
    return c;
}

bool Crs::empty() const {
    return !srs_;
}
bool Crs::is_geographic() const {
    return srs_ && srs_->IsGeographic();
}
bool Crs::is_projected() const {
    return srs_ && srs_->IsProjected();
}

std::string Crs::name() const {
    if (!srs_) return "";
    const char* n = srs_->GetName();
    return n ? n : "";
}

std::optional<int> Crs::epsg() const {
    if (!srs_) return std::nullopt;
    const char* auth = srs_->GetAuthorityName(nullptr);
    const char* code = srs_->GetAuthorityCode(nullptr);
    if (auth && code && std::string(auth) == "EPSG") return std::atoi(code);
    // Identify a matching EPSG entry (e.g. a shapefile .prj without authority).
    OGRSpatialReference copy(*srs_);
    if (copy.AutoIdentifyEPSG() == OGRERR_NONE) {
        const char* code = copy.GetAuthorityCode(nullptr);
        if (code) return std::atoi(code);
    }
    int count = 0;
    int* confidence = nullptr;
    OGRSpatialReferenceH* matches = srs_->FindMatches(nullptr, &count, &confidence);
    std::optional<int> found;
    if (matches && count > 0 && confidence[0] >= 90) {
        auto* m = OGRSpatialReference::FromHandle(matches[0]);
        const char* auth = m->GetAuthorityName(nullptr);
        const char* code = m->GetAuthorityCode(nullptr);
        if (auth && code && std::string(auth) == "EPSG") found = std::atoi(code);
    }
    OSRFreeSRSArray(matches);
    CPLFree(confidence);
    return found;
}

std::string Crs::label() const {
    if (!srs_) return "(none)";
    if (auto code = epsg()) return "EPSG:" + std::to_string(*code);
    return name();
}

std::string Crs::wkt() const {
    if (!srs_) return "";
    char* out = nullptr;
    const char* options[] = {"FORMAT=WKT2_2018", nullptr};
    srs_->exportToWkt(&out, options);
    std::string s = out ? out : "";
    CPLFree(out);
    return s;
}

Crs Crs::geographic() const {
    if (!srs_) return {};
    auto* g = new OGRSpatialReference();
    if (g->CopyGeogCSFrom(srs_.get()) != OGRERR_NONE) {
        g->Release();
        throw DataError("CRS '" + name() + "' has no geographic base CRS");
    }
    Crs c;
    c.srs_ = make_srs(g);
    return c;
}

double Crs::semi_major() const {
    return srs_ ? srs_->GetSemiMajor() : 0.0;
}
double Crs::inverse_flattening() const {
    return srs_ ? srs_->GetInvFlattening() : 0.0;
}
double Crs::false_easting() const {
    return srs_ && srs_->IsProjected() ? srs_->GetNormProjParm(SRS_PP_FALSE_EASTING, 0.0) : 0.0;
}
double Crs::central_meridian() const {
    return srs_ && srs_->IsProjected() ? srs_->GetNormProjParm(SRS_PP_CENTRAL_MERIDIAN, 0.0) : 0.0;
}
double Crs::linear_unit_m() const {
    return srs_ && srs_->IsProjected() ? srs_->GetLinearUnits() : 1.0;
}

bool Crs::same_as(const Crs& other) const {
    if (!srs_ || !other.srs_) return !srs_ && !other.srs_;
    const char* options[] = {"IGNORE_DATA_AXIS_TO_SRS_AXIS_MAPPING=YES", "CRITERION=EQUIVALENT",
                             nullptr};
    return srs_->IsSame(other.srs_.get(), options);
}

const OGRSpatialReference* Crs::ogr() const {
    return srs_.get();
}

std::optional<int> cgcs2000_gk3_epsg(double lon) {
    if (!(lon >= 73.5 && lon < 136.5)) return std::nullopt;
    const int cm = static_cast<int>(std::lround(lon / 3.0)) * 3;
    return 4534 + (cm - 75) / 3;
}

Crs choose_working_crs(double lon, double lat) {
    if (lat >= 3.0 && lat <= 54.0) {
        if (auto code = cgcs2000_gk3_epsg(lon)) return Crs::from_epsg(*code);
    }
    int zone = static_cast<int>(std::floor((lon + 180.0) / 6.0)) + 1;
    zone = std::min(std::max(zone, 1), 60);
    return Crs::from_epsg((lat >= 0 ? 32600 : 32700) + zone);
}

// --- Transform -------------------------------------------------------------------

Transform::Transform(const Crs& from, const Crs& to)
    : from_(from), to_(to), ct_(nullptr, [](OGRCoordinateTransformation* p) {
          OGRCoordinateTransformation::DestroyCT(p);
      }) {
    if (from.empty() || to.empty()) throw DataError("cannot transform coordinates without a CRS");
    identity_ = from.same_as(to);
    if (!identity_) {
        ct_.reset(OGRCreateCoordinateTransformation(from.ogr(), to.ogr()));
        if (!ct_)
            throw DataError("no coordinate transformation from " + from.label() + " to " +
                            to.label() + " is available");
    }
}

Transform::~Transform() = default;
Transform::Transform(Transform&&) noexcept = default;
Transform& Transform::operator=(Transform&&) noexcept = default;

bool Transform::apply(std::size_t n, double* x, double* y) const {
    if (identity_ || n == 0) return true;
    return ct_->Transform(n, x, y, nullptr, nullptr) == TRUE;
}

void Transform::apply(double& x, double& y) const {
    if (!apply(1, &x, &y))
        throw DataError(fmt("point (%.6f, %.6f) cannot be transformed", x, y) + " from " +
                        from_.label() + " to " + to_.label());
}

// --- plausibility -----------------------------------------------------------------

std::string check_crs_plausible(const Extent& e, const Crs& crs) {
    if (crs.empty() || !e.valid()) return "";
    const bool looks_lonlat =
        e.min_x >= -180.0 && e.max_x <= 180.0 && e.min_y >= -90.0 && e.max_y <= 90.0;
    const bool looks_latlon_china =
        e.min_x >= 3.0 && e.max_x <= 54.0 && e.min_y >= 73.0 && e.max_y <= 136.0;
    const std::string range = fmt("x %.6g..%.6g, y %.6g..%.6g", e.min_x, e.max_x, e.min_y, e.max_y);
    if (crs.is_geographic()) {
        if (looks_latlon_china)
            return "coordinates (" + range +
                   ") look like latitude/longitude in swapped order; "
                   "swap the x and y columns (x = longitude, y = latitude)";
        if (!looks_lonlat) {
            std::string hint = "coordinates (" + range + ") are not degrees although the CRS " +
                               crs.label() +
                               " is geographic; give the real CRS with --override-crs";
            if (e.min_x >= 1e7 && e.max_x < 1e8) {
                const int zone = static_cast<int>(e.min_x / 1e6);
                if (zone >= 25 && zone <= 45)
                    hint += " (eastings with zone prefix " + std::to_string(zone) +
                            " suggest EPSG:" + std::to_string(4513 + zone - 25) + ")";
            } else if (e.min_x > 1e5 && e.max_x < 1e6 && e.min_y > 0 && e.max_y < 6.1e6) {
                hint += " (they look like Gauss-Kruger metres without zone prefix, e.g. EPSG:4545 "
                        "for CM 108E)";
            }
            return hint;
        }
        return "";
    }
    if (!crs.is_projected()) return "";
    const double unit = crs.linear_unit_m();
    // No projected coordinate on Earth is 100 000 km from its origin: broken data, or
    // another unit (e.g. millimetres or centimetres).
    const double far = 1e8 / (unit > 0 ? unit : 1.0);
    if (std::max({std::abs(e.min_x), std::abs(e.max_x), std::abs(e.min_y), std::abs(e.max_y)}) >
        far)
        return "coordinates (" + range + ") are far beyond the range of the CRS " + crs.label() +
               " (more than 100000 km from its origin); fix the broken features or give the "
               "real CRS with --override-crs";
    if (looks_lonlat && unit > 0.9 && (e.max_x - e.min_x) < 360.0 && (e.max_y - e.min_y) < 180.0 &&
        std::abs(e.max_x) <= 180.0 && std::abs(e.max_y) <= 90.0)
        return "coordinates (" + range +
               ") look like longitude/latitude in degrees although the "
               "CRS " +
               crs.label() +
               " is projected; use --override-crs EPSG:4490 (CGCS2000) "
               "or EPSG:4326 (WGS84)";
    const double fe = crs.false_easting();
    const double cm = crs.central_meridian();
    const bool tm_like = std::abs(std::fmod(fe - 500000.0, 1e6)) < 1.0; // x_0 = [zone]500000
    if (tm_like && fe < 1e6 && e.min_x >= 1e7 && e.max_x < 1e8) {
        const int zone = static_cast<int>(e.min_x / 1e6);
        std::string hint = "eastings (" + range + ") carry a zone prefix (" + std::to_string(zone) +
                           ") but the CRS " + crs.label() + " has none";
        if (zone >= 25 && zone <= 45 && std::abs(zone * 3.0 - cm) < 1e-6)
            hint += "; use --override-crs EPSG:" + std::to_string(4513 + zone - 25) +
                    " (the same zone with prefix)";
        else if (zone >= 13 && zone <= 23)
            hint += "; they may be 6-degree zone " + std::to_string(zone) +
                    " coordinates: give that CRS with --override-crs";
        else
            hint += "; give the CRS that has it with --override-crs";
        return hint;
    }
    if (tm_like && fe >= 1e6 && e.max_x < 1e6 && e.min_x > 0) {
        const int zone = static_cast<int>(fe / 1e6);
        std::string hint = "eastings (" + range + ") have no zone prefix but the CRS " +
                           crs.label() + " expects prefix " + std::to_string(zone);
        if (auto code = cgcs2000_gk3_epsg(cm); code && zone >= 25 && zone <= 45)
            hint += "; use --override-crs EPSG:" + std::to_string(*code) +
                    " (the same zone without prefix)";
        return hint;
    }
    return "";
}

std::vector<Extent> disjoint_extents(const std::vector<Extent>& rects) {
    std::vector<Extent> done;
    std::vector<Extent> pieces, next;
    for (const Extent& r : rects) {
        if (!r.valid()) continue;
        pieces.assign(1, r);
        for (const Extent& d : done) {
            next.clear();
            for (const Extent& p : pieces) {
                const bool overlap = p.min_x < d.max_x && d.min_x < p.max_x && p.min_y < d.max_y &&
                                     d.min_y < p.max_y;
                if (!overlap) {
                    next.push_back(p);
                    continue;
                }
                // p minus d: the bands below and above d, then left and right of it.
                if (p.min_y < d.min_y) next.push_back({p.min_x, p.min_y, p.max_x, d.min_y});
                if (d.max_y < p.max_y) next.push_back({p.min_x, d.max_y, p.max_x, p.max_y});
                const double y0 = std::max(p.min_y, d.min_y), y1 = std::min(p.max_y, d.max_y);
                if (p.min_x < d.min_x) next.push_back({p.min_x, y0, d.min_x, y1});
                if (d.max_x < p.max_x) next.push_back({d.max_x, y0, p.max_x, y1});
            }
            pieces.swap(next);
            if (pieces.empty()) break;
        }
        done.insert(done.end(), pieces.begin(), pieces.end());
    }
    return done;
}

} // namespace soilrisk
