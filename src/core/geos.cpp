#include "soilrisk/core/geos.hpp"

#include <cstdarg>
#include <cstdio>
#include <geos_c.h>
#include <string>

#include "soilrisk/core/error.hpp"

namespace soilrisk::geos {

namespace {

thread_local std::string t_last_error;

void on_error(const char* fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    t_last_error = buf;
}

void on_notice(const char*, ...) {}

struct ThreadContext {
    GEOSContextHandle_t handle;
    ThreadContext() : handle(GEOS_init_r()) {
        GEOSContext_setErrorHandler_r(handle, &on_error);
        GEOSContext_setNoticeHandler_r(handle, &on_notice);
    }
    ~ThreadContext() { GEOS_finish_r(handle); }
    ThreadContext(const ThreadContext&) = delete;
    ThreadContext& operator=(const ThreadContext&) = delete;
};

} // namespace

Context ctx() {
    thread_local ThreadContext context;
    return context.handle;
}

void GeomDeleter::operator()(Geom* g) const noexcept {
    if (g) GEOSGeom_destroy_r(ctx(), g);
}

void PreparedDeleter::operator()(const GEOSPrepGeom_t* g) const noexcept {
    if (g) GEOSPreparedGeom_destroy_r(ctx(), g);
}

GeomPtr check(Geom* g, std::string_view what) {
    if (!g) {
        throw Error("GEOS " + std::string(what) + " failed: " +
                    (t_last_error.empty() ? std::string("unknown error") : t_last_error));
    }
    return GeomPtr(g);
}

std::string_view last_error() {
    return t_last_error;
}

GeomPtr from_wkt(std::string_view wkt) {
    GEOSWKTReader* reader = GEOSWKTReader_create_r(ctx());
    const std::string text(wkt);
    Geom* g = GEOSWKTReader_read_r(ctx(), reader, text.c_str());
    GEOSWKTReader_destroy_r(ctx(), reader);
    if (!g) throw DataError("not valid WKT: " + text.substr(0, 80) + ": " + t_last_error);
    return GeomPtr(g);
}

std::string to_wkt(const Geom* g, int precision) {
    GEOSWKTWriter* writer = GEOSWKTWriter_create_r(ctx());
    GEOSWKTWriter_setTrim_r(ctx(), writer, 1);
    GEOSWKTWriter_setRoundingPrecision_r(ctx(), writer, precision);
    char* text = GEOSWKTWriter_write_r(ctx(), writer, g);
    GEOSWKTWriter_destroy_r(ctx(), writer);
    std::string out = text ? text : "";
    GEOSFree_r(ctx(), text);
    return out;
}

GeomPtr clone(const Geom* g) {
    return check(GEOSGeom_clone_r(ctx(), g), "clone");
}

} // namespace soilrisk::geos
