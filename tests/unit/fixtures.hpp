// Test fixtures made by the tests themselves: a scratch folder per test and small
// vector files written with OGR (shapefiles with chosen encodings and DBF bytes,
// GeoPackages, FileGDB, GeoJSON, CSV).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "soilrisk/io/vector.hpp"

namespace soilrisk::test {

/// A fresh folder under the build tree, removed when the test ends.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::string file(const std::string& name) const { return (path_ / name).string(); }

  private:
    std::filesystem::path path_;
};

using Attr = std::variant<std::monostate, long long, double, std::string>;

struct FixtureFeature {
    std::string wkt;
    std::vector<Attr> attrs;
};

struct FixtureField {
    std::string name;
    enum Type { integer, real, string } type = string;
};

struct FixtureLayer {
    std::string name;
    int epsg = 0; ///< 0: no CRS
    std::vector<FixtureField> fields;
    std::vector<FixtureFeature> features;
};

/// Writes layers into a new dataset with the given OGR driver ("GPKG", "GeoJSON",
/// "OpenFileGDB", "ESRI Shapefile", …). Strings are written as given (UTF-8).
void write_layers(const std::string& path, const std::string& driver,
                  const std::vector<FixtureLayer>& layers);

/// Writes a shapefile whose DBF strings are encoded in `encoding` ("CP936", "UTF-8"),
/// then sets the .cpg file (`cpg`: its content, or "" for no .cpg) and DBF byte 29
/// (language driver id).
void write_shapefile(const std::string& path, const FixtureLayer& layer,
                     const std::string& encoding, const std::string& cpg, int ldid);

/// Reads a whole file as bytes.
std::string slurp(const std::string& path);
/// Writes bytes to a file.
void spit(const std::string& path, const std::string& bytes);

/// An in-memory layer in EPSG:4545 (source "<name>.gpkg", role <name>), string fields,
/// features from WKT with one value per field (std::logic_error otherwise), fids from 1.
io::Layer memory_layer(const std::string& name, io::GeometryKind kind,
                       const std::vector<std::string>& fields,
                       const std::vector<std::pair<std::string, std::vector<io::Value>>>& features);

} // namespace soilrisk::test
