// Option declarations shared by the subcommands: one option shape for every input role
// (--farmland PATH --farmland-layer NAME --farmland-field category=LB …).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "soilrisk/analysis/downstream.hpp"
#include "soilrisk/hydro/grid.hpp"
#include "soilrisk/io/vector.hpp"

namespace CLI {
class App;
}

namespace soilrisk::cli {

/// Declares --ROLE, --ROLE-layer, --ROLE-encoding, --ROLE-assume-crs, --ROLE-override-crs,
/// --ROLE-where, --ROLE-field ROLE=FIELD (repeatable), --ROLE-x/--ROLE-y (CSV) bound to
/// `input`. For role "input" the path is positional and the others have no prefix.
/// `fields_out` receives the raw ROLE=FIELD strings; call apply_field_roles() in run().
void add_vector_input(CLI::App& app, io::VectorInput& input, std::vector<std::string>& fields_out,
                      const std::string& role, const std::string& help, bool required);

/// Moves "role=field" strings into input.fields; throws UsageError on bad syntax.
void apply_field_roles(io::VectorInput& input, const std::vector<std::string>& fields);

/// Declares --schema NAME (PostGIS outputs: the schema the result tables go into).
void add_schema_option(CLI::App& app, std::string& schema);

/// The vector output to write: `out` as given for a file; for "PG:…" the connection with
/// the schema (--schema, else an active_schema= in the string, else "soilrisk").
/// UsageError for --schema with a file output.
std::string vector_output(const std::string& out, const std::string& schema);

/// Declares --invalid fix|skip|error into `policy_text`.
void add_invalid_option(CLI::App& app, std::string& policy_text);

/// --crs, --cell-size, --resampling: reprojection of a DEM as it is loaded
/// (hydro::DemWarp). `what` names the working CRS in the help ("" for plain hydro).
struct WarpOptions {
    std::string crs, cell_size, resampling = "bilinear";

    void add(CLI::App* app);
    /// Throws UsageError for a bad CRS or size, or --cell-size without --crs.
    hydro::DemWarp parse() const;
    /// "crs=… cell_size=… resampling=…" for provenance ("" without --crs).
    std::string describe() const;
};

/// --rivers R (with the usual input options: --rivers-layer, --rivers-where, …) and
/// --burn-depth: a river network burned into the DEM (analysis::RiverBurn).
struct RiverOptions {
    io::VectorInput input;
    std::vector<std::string> fields;
    std::string burn_depth = "50m";

    void add(CLI::App& app, const std::string& what);
    /// Reads the rivers (when given) in the CRS of the DEM as `warp` loads it, into
    /// `layer`, and points `burn` at them. The rivers are read before conditioning: the
    /// cells they burn are part of it and of its cache key.
    void read(const std::string& dem, const hydro::DemWarp& warp, io::InvalidPolicy invalid,
              std::optional<io::Layer>& layer, analysis::RiverBurn& burn);
};

} // namespace soilrisk::cli
