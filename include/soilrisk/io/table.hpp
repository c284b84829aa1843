// Tables for reports: CSV (UTF-8 with BOM so that Excel opens Chinese text correctly)
// and formatted XLSX (libxlsxwriter: frozen header row, number formats, column widths).
//
// Column names are stable, machine-readable ASCII snake_case (CSV headers); labels in
// Chinese or English are used as XLSX headers.
#pragma once

#include <string>
#include <vector>

#include "soilrisk/io/vector.hpp"

namespace soilrisk::io {

enum class Lang { zh, en };
/// Parses "zh" / "en"; throws UsageError otherwise.
Lang parse_lang(std::string_view text);

struct Column {
    std::string name;     ///< machine name (CSV header), e.g. "area_mu"
    std::string label_zh; ///< XLSX header in Chinese, e.g. "面积（亩）"
    std::string label_en; ///< XLSX header in English, e.g. "Area (mu)"
    /// Decimals shown in XLSX and written to CSV for reals (-1: full precision in CSV,
    /// general format in XLSX).
    int decimals = -1;
    const std::string& label(Lang lang) const { return lang == Lang::zh ? label_zh : label_en; }
};

struct Table {
    std::string name;               ///< sheet name / table name (ASCII), e.g. "near_summary"
    std::string title_zh, title_en; ///< optional caption (XLSX only)
    std::vector<Column> columns;
    std::vector<std::vector<Value>> rows;

    /// Appends a row; throws std::logic_error if its size differs from columns.size().
    void add_row(std::vector<Value> row);
};

/// Writes CSV: UTF-8 with BOM, comma-separated, RFC 4180 quoting, "\r\n" line ends,
/// machine column names as header. Reals with `decimals` >= 0 are rounded for display;
/// others use the shortest representation that round-trips.
/// Atomic (see AtomicOutput); throws OutputExistsError/IoError.
void write_csv(const Table& table, const std::string& path, bool overwrite);

/// Writes one or more tables as sheets of one XLSX workbook with labels in `lang`,
/// bold frozen header row, number formats from `decimals`, column widths to fit.
/// An optional "about" sheet lists provenance (key, value pairs). Atomic.
void write_xlsx(const std::vector<const Table*>& tables, const std::string& path, Lang lang,
                bool overwrite, const std::vector<std::pair<std::string, std::string>>& about = {});

/// Writes `table` as CSV or XLSX depending on the extension of `path` (.csv/.xlsx).
void write_table(const Table& table, const std::string& path, Lang lang, bool overwrite);

} // namespace soilrisk::io
