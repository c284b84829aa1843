#include "soilrisk/io/describe.hpp"

#include "soilrisk/core/area.hpp"

namespace soilrisk::io {

namespace {

LayerInfo describe_one(const VectorInput& input) {
    VectorReader reader(input);
    LayerInfo info;
    info.path = redact_password(input.path);
    info.driver = reader.driver();
    info.layer = reader.layer_name();
    info.crs_name = reader.crs().name();
    info.epsg = reader.crs().epsg();
    info.extent = reader.extent();
    info.extent_lonlat = reader.extent_lonlat();
    info.fields = reader.fields();
    Layer layer = reader.read(); // native CRS
    info.feature_count = layer.report.features_read;
    info.geometry_type = to_string(layer.kind);
    info.report = layer.report;
    if (layer.kind == GeometryKind::polygon && !layer.crs.empty()) {
        AreaCalculator area(layer.crs, AreaMode::ellipsoidal);
        double total = 0;
        for (const auto& f : layer.features)
            total += area.area_m2(f.geom.get());
        info.has_area = true;
        info.area_m2 = total;
        info.area_ellipsoid = layer.crs.geographic().name();
    }
    return info;
}

} // namespace

std::vector<LayerInfo> describe(const VectorInput& input_in) {
    VectorInput input = input_in;
    input.allow_empty = true;
    if (!input.layer.empty() || !input.sql.empty()) return {describe_one(input)};
    const auto names = list_layers(input.path);
    if (names.size() <= 1) return {describe_one(input)};
    std::vector<LayerInfo> out;
    for (const auto& name : names) {
        VectorInput one = input;
        one.layer = name;
        out.push_back(describe_one(one));
    }
    return out;
}

} // namespace soilrisk::io
