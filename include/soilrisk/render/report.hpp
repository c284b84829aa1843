// The HTML report of a run: one self-contained file (maps embedded as base64 PNG, no
// external scripts, fonts or style sheets), readable offline and printable (print CSS: A4,
// page breaks before each step, no breaks inside a map or a table row). Chinese headings by
// default, English with Lang::en.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "soilrisk/io/table.hpp"

namespace soilrisk::render {

struct ReportInput {
    std::string key, path, layer, crs, geometry;
    long long features = -1; ///< -1: not read in this run
    std::vector<std::string> warnings;
};

struct ReportFile {
    std::string path; ///< as shown (relative to the output folder)
    std::string kind, description;
};

struct ReportImage {
    std::string caption;
    std::string png; ///< PNG bytes
};

struct ReportStep {
    std::string name, type;
    double seconds = 0;
    std::vector<std::pair<std::string, std::string>> parameters;
    std::vector<ReportImage> maps;
    std::vector<std::pair<std::string, const io::Table*>> tables; ///< (caption, table)
    std::vector<ReportFile> files;
};

struct Report {
    io::Lang lang = io::Lang::zh;
    std::string title; ///< project name
    std::string project_file, command_line, version, working_crs, out_dir, date;
    std::vector<ReportInput> inputs;
    std::vector<ReportStep> steps;
    const io::Table* ranking = nullptr; ///< mine ranking, shown first when present
    std::vector<std::string> warnings;
    std::size_t max_table_rows = 200; ///< longer tables are cut (the files hold them whole)
};

/// The report as HTML text.
std::string report_html(const Report& report);

/// Writes report_html atomically to `path` (replacing it only with `overwrite`).
void write_report(const Report& report, const std::string& path, bool overwrite);

/// A PNG file scaled down to at most `max_width` pixels wide (unchanged when narrower), as
/// PNG bytes, for embedding. Throws IoError when the file is not a readable PNG.
std::string png_for_report(const std::string& path, int max_width = 1600);

/// Base64 (RFC 4648, with padding).
std::string base64(const std::string& bytes);

} // namespace soilrisk::render
