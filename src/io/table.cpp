// Report tables: CSV (UTF-8 with BOM, RFC 4180) and XLSX (libxlsxwriter).
#include "soilrisk/io/table.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <memory>
#include <set>
#include <stdexcept>
#include <xlsxwriter.h>

#include "soilrisk/core/error.hpp"
#include "soilrisk/core/text.hpp"
#include "soilrisk/io/output.hpp"

namespace soilrisk::io {

namespace {

// --- number formatting ----------------------------------------------------------------

/// Shortest text that reads back as the same double ("0.1", "1e+20").
std::string shortest(double v) {
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

/// `v` with exactly `decimals` decimals, rounded half away from zero on its shortest
/// decimal representation, so that 2.345 gives "2.35" as a reader (and Excel) expects,
/// although the binary double is slightly below 2.345.
std::string fixed(double v, int decimals) {
    char buf[400]; // the longest shortest-fixed double (1.8e308) has 309 digits
    const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
    std::string s(buf, r.ptr);
    const bool negative = !s.empty() && s[0] == '-';
    if (negative) s.erase(0, 1);
    const auto dot = s.find('.');
    std::string int_part = s.substr(0, dot);
    std::string frac = dot == std::string::npos ? std::string() : s.substr(dot + 1);
    const auto keep = static_cast<std::size_t>(decimals);
    if (frac.size() > keep) {
        const bool round_up = frac[keep] >= '5';
        frac.resize(keep);
        if (round_up) {
            std::string digits = int_part + frac;
            int i = static_cast<int>(digits.size()) - 1;
            for (; i >= 0 && digits[i] == '9'; --i)
                digits[i] = '0';
            if (i >= 0)
                ++digits[i];
            else
                digits.insert(digits.begin(), '1');
            int_part = digits.substr(0, digits.size() - keep);
            frac = digits.substr(digits.size() - keep);
        }
    } else {
        frac.append(keep - frac.size(), '0');
    }
    std::string out = int_part;
    if (keep > 0) {
        out += '.';
        out += frac;
    }
    // "-0.00" reads as a sign error in a report.
    if (negative && out.find_first_of("123456789") != std::string::npos)
        out.insert(out.begin(), '-');
    return out;
}

/// Text of a value as written to CSV (and used to size XLSX columns).
std::string cell_text(const Value& v, int decimals) {
    if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
    if (const auto* d = std::get_if<double>(&v)) {
        if (!std::isfinite(*d)) return "";
        return decimals >= 0 ? fixed(*d, decimals) : shortest(*d);
    }
    if (const auto* s = std::get_if<std::string>(&v)) return *s;
    return "";
}

// --- CSV -----------------------------------------------------------------------------

void put_csv_field(std::ostream& out, const std::string& text) {
    if (text.find_first_of(",\"\r\n") == std::string::npos) {
        out << text;
        return;
    }
    out << '"';
    for (char c : text) {
        if (c == '"') out << '"';
        out << c;
    }
    out << '"';
}

// --- XLSX ----------------------------------------------------------------------------

struct WorkbookDeleter {
    void operator()(lxw_workbook* wb) const noexcept { lxw_workbook_free(wb); }
};
using WorkbookPtr = std::unique_ptr<lxw_workbook, WorkbookDeleter>;

constexpr std::size_t k_max_rows = 1048576;
constexpr double k_min_width = 8.0;
constexpr double k_max_width = 80.0;
// Excel's "General" format shows at most about 11 characters of a number.
constexpr int k_general_number_width = 12;

void check_lxw(lxw_error err, const std::string& path, const std::string& where) {
    if (err == LXW_NO_ERROR) return;
    if (err == LXW_ERROR_MAX_STRING_LENGTH_EXCEEDED)
        throw DataError("XLSX '" + path + "', " + where +
                        ": text longer than 32767 characters (Excel's limit); write CSV instead");
    throw IoError("cannot write XLSX '" + path + "', " + where + ": " + lxw_strerror(err));
}

/// Excel sheet names: at most 31 characters, none of []:*?/\, unique ignoring case.
std::string sheet_name(const std::string& wanted, std::set<std::string>& used) {
    std::string base;
    int chars = 0;
    for (std::size_t i = 0; i < wanted.size() && chars < 31; ++chars) {
        // Copy one UTF-8 sequence at a time so that truncation never splits a character.
        std::size_t len = 1;
        const auto c = static_cast<unsigned char>(wanted[i]);
        if (c >= 0xF0)
            len = 4;
        else if (c >= 0xE0)
            len = 3;
        else if (c >= 0xC0)
            len = 2;
        std::string ch = wanted.substr(i, len);
        if (ch.size() == 1 && std::string_view("[]:*?/\\").find(ch[0]) != std::string_view::npos)
            ch = "_";
        base += ch;
        i += len;
    }
    while (!base.empty() && base.front() == '\'')
        base.erase(0, 1);
    while (!base.empty() && base.back() == '\'')
        base.pop_back();
    if (base.empty()) base = "Sheet";
    std::string name = base;
    for (int n = 2; used.count(ascii_lower(name)); ++n) {
        std::string suffix = "_";
        suffix += std::to_string(n);
        name = base.substr(0, 31 - suffix.size()) + suffix;
    }
    used.insert(ascii_lower(name));
    return name;
}

std::string number_format(int decimals) {
    return decimals == 0 ? "0" : "0." + std::string(static_cast<std::size_t>(decimals), '0');
}

double column_width(int chars) {
    return std::clamp(static_cast<double>(chars) + 2.0, k_min_width, k_max_width);
}

/// Display width of the widest line of `text`.
int widest_line(std::string_view text) {
    int best = 0;
    std::size_t start = 0;
    while (start <= text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        best = std::max(best, display_width(text.substr(start, end - start)));
        start = end + 1;
    }
    return best;
}

struct Formats {
    lxw_format* title = nullptr;
    lxw_format* header = nullptr;
    std::vector<lxw_format*> number; ///< per decimals 0..15
};

void write_sheet(lxw_workbook* wb, const Table& table, const std::string& name, Lang lang,
                 Formats& formats, const std::string& path) {
    const std::string& title = lang == Lang::zh ? table.title_zh : table.title_en;
    const lxw_row_t header_row = title.empty() ? 0 : 1;
    if (table.rows.size() + header_row + 1 > k_max_rows)
        throw DataError("table '" + table.name + "' has " + std::to_string(table.rows.size()) +
                        " rows, more than an XLSX sheet holds (1048575); write CSV instead");
    lxw_worksheet* ws = workbook_add_worksheet(wb, name.c_str());
    if (!ws) throw IoError("cannot add sheet '" + name + "' to XLSX '" + path + "'");
    const std::string where_sheet = "sheet '" + name + "'";

    if (!title.empty())
        check_lxw(worksheet_write_string(ws, 0, 0, title.c_str(), formats.title), path,
                  where_sheet);

    std::vector<int> widths(table.columns.size(), 0);
    for (std::size_t c = 0; c < table.columns.size(); ++c) {
        const Column& col = table.columns[c];
        const std::string& label = col.label(lang).empty() ? col.name : col.label(lang);
        widths[c] = widest_line(label) + 1; // bold is a little wider
        check_lxw(worksheet_write_string(ws, header_row, static_cast<lxw_col_t>(c), label.c_str(),
                                         formats.header),
                  path, where_sheet + ", header");
    }

    for (std::size_t r = 0; r < table.rows.size(); ++r) {
        const auto& row = table.rows[r];
        const auto xr = static_cast<lxw_row_t>(r + header_row + 1);
        for (std::size_t c = 0; c < row.size() && c < table.columns.size(); ++c) {
            const int decimals = std::min(table.columns[c].decimals, 15);
            lxw_format* fmt = decimals >= 0 ? formats.number[decimals] : nullptr;
            const auto xc = static_cast<lxw_col_t>(c);
            const Value& v = row[c];
            lxw_error err = LXW_NO_ERROR;
            int width = 0;
            if (const auto* i = std::get_if<std::int64_t>(&v)) {
                // Doubles hold integers exactly only up to 2^53; larger ones stay text.
                if (std::llabs(*i) <= (std::int64_t{1} << 53)) {
                    err = worksheet_write_number(ws, xr, xc, static_cast<double>(*i), fmt);
                } else {
                    err = worksheet_write_string(ws, xr, xc, std::to_string(*i).c_str(), nullptr);
                }
                width = static_cast<int>(cell_text(v, decimals).size());
            } else if (const auto* d = std::get_if<double>(&v)) {
                if (std::isfinite(*d)) {
                    err = worksheet_write_number(ws, xr, xc, *d, fmt);
                    width = static_cast<int>(cell_text(v, decimals).size());
                    if (decimals < 0) width = std::min(width, k_general_number_width);
                }
            } else if (const auto* s = std::get_if<std::string>(&v)) {
                if (!s->empty()) err = worksheet_write_string(ws, xr, xc, s->c_str(), nullptr);
                width = widest_line(*s);
            }
            check_lxw(err, path,
                      where_sheet + ", row " + std::to_string(r + 1) + ", column '" +
                          table.columns[c].name + "'");
            widths[c] = std::max(widths[c], width);
        }
    }

    for (std::size_t c = 0; c < widths.size(); ++c)
        check_lxw(worksheet_set_column(ws, static_cast<lxw_col_t>(c), static_cast<lxw_col_t>(c),
                                       column_width(widths[c]), nullptr),
                  path, where_sheet);
    worksheet_freeze_panes(ws, header_row + 1, 0);
}

} // namespace

Lang parse_lang(std::string_view text) {
    const std::string t = ascii_lower(text);
    if (t == "zh" || t == "zh-cn" || t == "zh_cn") return Lang::zh;
    if (t == "en") return Lang::en;
    throw UsageError("--lang: '" + std::string(text) +
                     "' is not a supported language; use zh or en");
}

int display_width(std::string_view text) {
    int width = 0;
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        char32_t cp = c;
        std::size_t len = 1;
        if (c >= 0xF0 && i + 3 < text.size()) {
            len = 4;
            cp = ((c & 0x07u) << 18) | ((text[i + 1] & 0x3Fu) << 12) |
                 ((text[i + 2] & 0x3Fu) << 6) | (text[i + 3] & 0x3Fu);
        } else if (c >= 0xE0 && i + 2 < text.size()) {
            len = 3;
            cp = ((c & 0x0Fu) << 12) | ((text[i + 1] & 0x3Fu) << 6) | (text[i + 2] & 0x3Fu);
        } else if (c >= 0xC0 && i + 1 < text.size()) {
            len = 2;
            cp = ((c & 0x1Fu) << 6) | (text[i + 1] & 0x3Fu);
        }
        i += len;
        // East Asian Wide and Fullwidth blocks: Hangul Jamo, CJK radicals to Yi, Hangul
        // syllables, CJK compatibility, vertical forms, fullwidth forms, CJK extensions.
        const bool wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
                          (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                          (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
                          (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
        width += wide ? 2 : 1;
    }
    return width;
}

void Table::add_row(std::vector<Value> row) {
    if (row.size() != columns.size())
        throw std::logic_error("table '" + name + "': row of " + std::to_string(row.size()) +
                               " values for " + std::to_string(columns.size()) + " columns");
    rows.push_back(std::move(row));
}

void write_csv(const Table& table, const std::string& path, bool overwrite) {
    AtomicOutput out(path, overwrite);
    {
        std::ofstream file(out.temp_path(), std::ios::binary | std::ios::trunc);
        if (!file)
            throw IoError("cannot create CSV '" + path + "' (temporary '" + out.temp_path() + "')");
        file << "\xEF\xBB\xBF";
        for (std::size_t c = 0; c < table.columns.size(); ++c) {
            if (c) file << ',';
            put_csv_field(file, table.columns[c].name);
        }
        file << "\r\n";
        for (const auto& row : table.rows) {
            for (std::size_t c = 0; c < table.columns.size(); ++c) {
                if (c) file << ',';
                if (c < row.size())
                    put_csv_field(file, cell_text(row[c], table.columns[c].decimals));
            }
            file << "\r\n";
        }
        file.flush();
        if (!file) throw IoError("cannot write CSV '" + path + "' (disk full?)");
    }
    out.commit();
}

void write_xlsx(const std::vector<const Table*>& tables, const std::string& path, Lang lang,
                bool overwrite, const std::vector<std::pair<std::string, std::string>>& about) {
    if (tables.empty() && about.empty())
        throw std::logic_error("write_xlsx('" + path + "'): nothing to write");
    AtomicOutput out(path, overwrite);
    WorkbookPtr wb(workbook_new(out.temp_path().c_str()));
    if (!wb) throw IoError("cannot create XLSX '" + path + "'");

    Formats formats;
    formats.title = workbook_add_format(wb.get());
    format_set_bold(formats.title);
    format_set_font_size(formats.title, 14);
    formats.header = workbook_add_format(wb.get());
    format_set_bold(formats.header);
    format_set_bottom(formats.header, LXW_BORDER_THIN);
    for (int d = 0; d <= 15; ++d) {
        lxw_format* f = workbook_add_format(wb.get());
        format_set_num_format(f, number_format(d).c_str());
        formats.number.push_back(f);
    }

    std::set<std::string> used;
    for (const Table* t : tables)
        write_sheet(wb.get(), *t, sheet_name(t->name, used), lang, formats, path);

    if (!about.empty()) {
        Table sheet;
        sheet.name = "about";
        sheet.columns = {{"key", "项目", "Item"}, {"value", "内容", "Value"}};
        for (const auto& [k, v] : about)
            sheet.add_row({k, v});
        write_sheet(wb.get(), sheet, sheet_name(sheet.name, used), lang, formats, path);
    }

    // workbook_close() frees the workbook whatever happens.
    const lxw_error err = workbook_close(wb.release());
    if (err != LXW_NO_ERROR)
        throw IoError("cannot write XLSX '" + path + "': " + lxw_strerror(err));
    out.commit();
}

void write_table(const Table& table, const std::string& path, Lang lang, bool overwrite) {
    const auto dot = path.rfind('.');
    const std::string ext = dot == std::string::npos ? "" : ascii_lower(path.substr(dot));
    if (ext == ".csv") return write_csv(table, path, overwrite);
    if (ext == ".xlsx") return write_xlsx({&table}, path, lang, overwrite);
    throw UsageError("output '" + path + "': unknown table format '" + ext +
                     "'; use a .csv or .xlsx file name");
}

} // namespace soilrisk::io
