// soilrisk info PATH [--layer L] [--json]: what a vector source holds.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "cli/options.hpp"
#include "soilrisk/core/units.hpp"
#include "soilrisk/io/describe.hpp"

namespace soilrisk::cli {

namespace {

const char* type_name(io::FieldType t) {
    switch (t) {
    case io::FieldType::integer:
        return "integer";
    case io::FieldType::real:
        return "real";
    case io::FieldType::string:
        return "string";
    case io::FieldType::other:
        return "other";
    }
    return "other";
}

nlohmann::json extent_json(const Extent& e) {
    if (!e.valid()) return nullptr;
    return {e.min_x, e.min_y, e.max_x, e.max_y};
}

nlohmann::json to_json(const io::LayerInfo& i) {
    nlohmann::json j;
    j["path"] = i.path;
    j["driver"] = i.driver;
    j["layer"] = i.layer;
    j["crs"] = {{"name", i.crs_name},
                {"epsg", i.epsg ? nlohmann::json(*i.epsg) : nlohmann::json()}};
    j["geometry_type"] = i.geometry_type;
    j["feature_count"] = i.feature_count;
    j["extent"] = extent_json(i.extent);
    j["extent_lonlat"] = extent_json(i.extent_lonlat);
    nlohmann::json fields = nlohmann::json::array();
    for (const auto& f : i.fields)
        fields.push_back({{"name", f.name}, {"type", type_name(f.type)}});
    j["fields"] = fields;
    j["encoding"] = {{"name", i.report.encoding}, {"source", i.report.encoding_source}};
    j["geometry_check"] = {{"invalid", i.report.invalid},
                           {"repaired", i.report.repaired},
                           {"skipped", i.report.skipped},
                           {"empty_or_null", i.report.empty_or_null},
                           {"duplicate_ids", i.report.duplicate_ids},
                           {"repaired_fids", i.report.repaired_fids}};
    if (i.has_area)
        j["area"] = {{"m2", i.area_m2},
                     {"mu", m2_to_mu(i.area_m2)},
                     {"ha", m2_to_ha(i.area_m2)},
                     {"method", "ellipsoidal (geodesic, Karney 2013)"},
                     {"ellipsoid_of", i.area_ellipsoid}};
    j["warnings"] = i.report.warnings;
    return j;
}

void print_text(const io::LayerInfo& i) {
    std::printf("Source:    %s\n", i.path.c_str());
    std::printf("Driver:    %s\n", i.driver.c_str());
    std::printf("Layer:     %s\n", i.layer.c_str());
    std::printf("CRS:       %s%s\n", i.crs_name.empty() ? "(none)" : i.crs_name.c_str(),
                i.epsg ? (" [EPSG:" + std::to_string(*i.epsg) + "]").c_str() : "");
    std::printf("Geometry:  %s\n", i.geometry_type.c_str());
    std::printf("Features:  %lld\n", static_cast<long long>(i.feature_count));
    if (i.extent.valid())
        std::printf("Extent:    %.3f, %.3f - %.3f, %.3f\n", i.extent.min_x, i.extent.min_y,
                    i.extent.max_x, i.extent.max_y);
    if (i.extent_lonlat.valid())
        std::printf("Lon/lat:   %.6f, %.6f - %.6f, %.6f\n", i.extent_lonlat.min_x,
                    i.extent_lonlat.min_y, i.extent_lonlat.max_x, i.extent_lonlat.max_y);
    std::printf("Encoding:  %s (from %s)\n", i.report.encoding.c_str(),
                i.report.encoding_source.c_str());
    std::printf("Geometry check: %lld invalid (%lld repaired, %lld skipped), %lld empty/null, "
                "%lld duplicate ids\n",
                static_cast<long long>(i.report.invalid), static_cast<long long>(i.report.repaired),
                static_cast<long long>(i.report.skipped),
                static_cast<long long>(i.report.empty_or_null),
                static_cast<long long>(i.report.duplicate_ids));
    if (i.has_area)
        std::printf("Area:      %.2f m2 = %.2f mu = %.4f ha (ellipsoidal, %s)\n", i.area_m2,
                    m2_to_mu(i.area_m2), m2_to_ha(i.area_m2), i.area_ellipsoid.c_str());
    std::printf("Fields (%zu):\n", i.fields.size());
    for (const auto& f : i.fields)
        std::printf("  %-20s %s\n", f.name.c_str(), type_name(f.type));
}

class InfoCommand : public Command {
  public:
    void setup(CLI::App& app) override {
        add_vector_input(app, input_, fields_, "input", "Vector file, folder or PG: connection",
                         true);
        add_invalid_option(app, invalid_);
        app.add_flag("--json", json_, "Print JSON instead of text");
    }

    int run(const GlobalOptions&) override {
        apply_field_roles(input_, fields_);
        input_.invalid = io::parse_invalid_policy(invalid_);
        const auto infos = io::describe(input_);
        if (json_) {
            nlohmann::json out = nlohmann::json::array();
            for (const auto& i : infos)
                out.push_back(to_json(i));
            std::printf("%s\n", (infos.size() == 1 ? out[0] : out).dump(2).c_str());
        } else {
            for (std::size_t k = 0; k < infos.size(); ++k) {
                if (k) std::printf("\n");
                print_text(infos[k]);
            }
        }
        return 0;
    }

  private:
    io::VectorInput input_;
    std::vector<std::string> fields_;
    std::string invalid_ = "fix";
    bool json_ = false;
};

std::unique_ptr<Command> make() {
    return std::make_unique<InfoCommand>();
}
RegisterCommand reg{"info", "Describe a vector source: layers, CRS, fields, encoding, checks, area",
                    &make};

} // namespace

} // namespace soilrisk::cli
