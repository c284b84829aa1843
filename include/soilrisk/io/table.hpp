// Tables for reports: CSV (UTF-8 with BOM so that Excel opens Chinese text correctly)
// and formatted XLSX (libxlsxwriter: frozen header row, number formats, column widths).
//
// Column names are stable, machine-readable ASCII snake_case (CSV headers); labels in
// Chinese or English are used as XLSX headers.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "soilrisk/io/vector.hpp"

namespace soilrisk::io {

enum class Lang { zh, en };
/// Parses "zh" / "en" (case-insensitive; "zh-CN" is zh); throws UsageError otherwise.
Lang parse_lang(std::string_view text);

/// Width of UTF-8 text in monospace cells: East Asian wide and fullwidth characters
/// (汉字, "（", …) count 2, others 1. Used to size XLSX columns and terminal tables.
int display_width(std::string_view utf8);

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

/// Writes CSV: UTF-8 with BOM, comma-separated, RFC 4180 quoting (fields containing a
/// comma, quote, CR or LF are quoted, quotes doubled), "\r\n" line ends, machine column
/// names as header, null as an empty field. Reals with `decimals` >= 0 are rounded half
/// away from zero on their shortest decimal form (2.345 -> "2.35"), others use the
/// shortest representation that round-trips; NaN and infinities are written empty.
/// Atomic (see AtomicOutput); throws OutputExistsError/IoError.
void write_csv(const Table& table, const std::string& path, bool overwrite);

/// Writes one or more tables as sheets of one XLSX workbook with labels in `lang`
/// (the machine name when a label is empty), bold frozen header row, number formats from
/// `decimals` ("0.00" for 2; general for -1), column widths to fit (CJK counts double,
/// 8..80 characters). A non-empty title in `lang` goes in row 1 above the header. Sheet
/// names are the table names made valid for Excel (31 characters, no []:*?/\, unique).
/// An optional last sheet "about" lists provenance (key, value pairs). Integers beyond
/// 2^53 are written as text. Atomic. Throws DataError for more than 1048575 rows or a
/// text over 32767 characters (Excel's limits), OutputExistsError/IoError.
void write_xlsx(const std::vector<const Table*>& tables, const std::string& path, Lang lang,
                bool overwrite, const std::vector<std::pair<std::string, std::string>>& about = {});

/// Writes `table` as CSV or XLSX depending on the extension of `path` (.csv/.xlsx).
void write_table(const Table& table, const std::string& path, Lang lang, bool overwrite);

} // namespace soilrisk::io
