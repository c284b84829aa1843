// report.html: a run's parameters, inputs, maps and tables in one file.
#include "soilrisk/render/report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "render/cairo_util.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/io/output.hpp"

namespace soilrisk::render {

namespace {

std::string esc(const std::string& s) {
    return io::xml_escape(s);
}

struct Words {
    const char *report, *project, *command, *version, *crs, *out_dir, *date, *inputs, *key, *path,
        *layer, *geometry, *features, *warnings, *steps, *step, *type, *seconds, *parameters,
        *outputs, *kind, *description, *ranking, *no_warnings, *rows_cut, *none, *contents,
        *not_read, *source_crs;
};

const Words& words(io::Lang lang) {
    static const Words zh{"运行报告",
                          "项目",
                          "命令行",
                          "软件版本",
                          "工作坐标系",
                          "输出目录",
                          "日期",
                          "输入数据",
                          "名称",
                          "路径",
                          "图层",
                          "几何类型",
                          "要素数",
                          "警告",
                          "分析步骤",
                          "步骤",
                          "类型",
                          "耗时（秒）",
                          "参数",
                          "输出文件",
                          "类别",
                          "说明",
                          "矿区排序（优先调查）",
                          "无警告",
                          "表格过长，仅显示前 %zu 行（共 %zu 行），完整数据见输出文件。",
                          "无",
                          "目录",
                          "本次运行未读取",
                          "数据坐标系"};
    static const Words en{"Run report",
                          "Project",
                          "Command line",
                          "Version",
                          "Working CRS",
                          "Output folder",
                          "Date",
                          "Inputs",
                          "Key",
                          "Path",
                          "Layer",
                          "Geometry",
                          "Features",
                          "Warnings",
                          "Steps",
                          "Step",
                          "Type",
                          "Time (s)",
                          "Parameters",
                          "Output files",
                          "Kind",
                          "Description",
                          "Mine ranking (investigation priority)",
                          "No warnings",
                          "Showing the first %zu of %zu rows; the output file holds them all.",
                          "none",
                          "Contents",
                          "not read in this run",
                          "Data CRS"};
    return lang == io::Lang::zh ? zh : en;
}

std::string cell(const io::Value& v, int decimals) {
    if (std::holds_alternative<double>(v)) {
        const double d = std::get<double>(v);
        if (!std::isfinite(d)) return "";
        char buf[64];
        if (decimals >= 0)
            std::snprintf(buf, sizeof buf, "%.*f", decimals, d);
        else
            std::snprintf(buf, sizeof buf, "%.10g", d);
        return buf;
    }
    return io::Layer::text(v);
}

void table_html(std::ostringstream& o, const io::Table& t, const std::string& caption,
                io::Lang lang, std::size_t max_rows) {
    const std::string title = lang == io::Lang::zh ? t.title_zh : t.title_en;
    o << "<figure class=\"table\"><figcaption>"
      << esc(title.empty() ? (caption.empty() ? t.name : caption) : title)
      << "</figcaption>\n<div class=\"scroll\"><table>\n<thead><tr>";
    for (const auto& c : t.columns) {
        const std::string& l = c.label(lang);
        o << "<th>" << esc(l.empty() ? c.name : l) << "</th>";
    }
    o << "</tr></thead>\n<tbody>\n";
    const std::size_t n = std::min(t.rows.size(), max_rows);
    for (std::size_t r = 0; r < n; ++r) {
        o << "<tr>";
        for (std::size_t c = 0; c < t.columns.size() && c < t.rows[r].size(); ++c) {
            const io::Value& v = t.rows[r][c];
            const bool numeric =
                std::holds_alternative<double>(v) || std::holds_alternative<std::int64_t>(v);
            o << (numeric ? "<td class=\"n\">" : "<td>") << esc(cell(v, t.columns[c].decimals))
              << "</td>";
        }
        o << "</tr>\n";
    }
    o << "</tbody></table></div>";
    if (t.rows.size() > n) {
        char buf[256];
        std::snprintf(buf, sizeof buf, words(lang).rows_cut, n, t.rows.size());
        o << "<p class=\"note\">" << esc(buf) << "</p>";
    }
    o << "</figure>\n";
}

constexpr const char* k_css = R"(
:root { --ink: #1d2730; --muted: #5b6770; --line: #d4d9dd; --head: #eef2f4; --accent: #2e7d32; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei",
       "PingFang SC", sans-serif; color: var(--ink); margin: 0 auto; max-width: 1100px;
       padding: 24px 32px 48px; line-height: 1.5; font-size: 14px; }
h1 { font-size: 26px; margin: 0 0 4px; border-bottom: 3px solid var(--accent); padding-bottom: 6px; }
h2 { font-size: 20px; margin: 32px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 16px; margin: 20px 0 6px; }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 12px 0; }
.meta dt { color: var(--muted); } .meta dd { margin: 0; word-break: break-all; }
table { border-collapse: collapse; font-size: 12.5px; width: auto; }
th, td { border: 1px solid var(--line); padding: 3px 8px; vertical-align: top; }
th { background: var(--head); text-align: left; font-weight: 600; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) td { background: #fafbfc; }
.scroll { overflow-x: auto; }
figure { margin: 12px 0 20px; }
figcaption { font-weight: 600; margin-bottom: 6px; }
figure.map img { width: 100%; height: auto; border: 1px solid var(--line); }
.note { color: var(--muted); font-size: 12px; }
.warn { color: #8a4b00; }
nav ol { margin: 4px 0; padding-left: 22px; }
code { font-family: "Noto Sans Mono CJK SC", monospace; font-size: 12px; word-break: break-all; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  nav { display: none; }
  section.step { break-before: page; }
  figure, tr, img { break-inside: avoid; }
  thead { display: table-header-group; }
  .scroll { overflow: visible; }
  a { color: inherit; text-decoration: none; }
}
)";

} // namespace

std::string base64(const std::string& in) {
    static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const unsigned v =
            (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
        out += t[v >> 18 & 63];
        out += t[v >> 12 & 63];
        out += t[v >> 6 & 63];
        out += t[v & 63];
    }
    if (i + 1 == in.size()) {
        const unsigned v = (unsigned char)in[i] << 16;
        out += t[v >> 18 & 63];
        out += t[v >> 12 & 63];
        out += "==";
    } else if (i + 2 == in.size()) {
        const unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8;
        out += t[v >> 18 & 63];
        out += t[v >> 12 & 63];
        out += t[v >> 6 & 63];
        out += '=';
    }
    return out;
}

std::string report_html(const Report& r) {
    const Words& w = words(r.lang);
    std::ostringstream o;
    const std::string title = (r.title.empty() ? "" : r.title + " — ") + w.report;
    o << "<!DOCTYPE html>\n<html lang=\"" << (r.lang == io::Lang::zh ? "zh-CN" : "en")
      << "\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<meta name=\"generator\" content=\"soilrisk "
      << esc(r.version) << "\">\n<title>" << esc(title) << "</title>\n<style>" << k_css
      << "</style>\n</head>\n<body>\n";
    o << "<header><h1>" << esc(title) << "</h1>\n<dl class=\"meta\">\n";
    auto meta = [&](const char* k, const std::string& v, bool code = false) {
        if (v.empty()) return;
        o << "<dt>" << k << "</dt><dd>" << (code ? "<code>" : "") << esc(v)
          << (code ? "</code>" : "") << "</dd>\n";
    };
    meta(w.project, r.project_file, true);
    meta(w.command, r.command_line, true);
    meta(w.version, r.version);
    meta(w.crs, r.working_crs);
    meta(w.out_dir, r.out_dir, true);
    meta(w.date, r.date);
    o << "</dl></header>\n";

    o << "<nav><h2>" << w.contents << "</h2><ol>";
    if (r.ranking) o << "<li><a href=\"#ranking\">" << w.ranking << "</a></li>";
    o << "<li><a href=\"#inputs\">" << w.inputs << "</a></li>";
    for (std::size_t i = 0; i < r.steps.size(); ++i)
        o << "<li><a href=\"#step-" << i + 1 << "\">" << w.step << " " << i + 1 << ": "
          << esc(r.steps[i].name) << "</a></li>";
    o << "<li><a href=\"#warnings\">" << w.warnings << "</a></li></ol></nav>\n";

    if (r.ranking) {
        o << "<section id=\"ranking\"><h2>" << w.ranking << "</h2>\n";
        table_html(o, *r.ranking, "", r.lang, r.max_table_rows);
        o << "</section>\n";
    }

    o << "<section id=\"inputs\"><h2>" << w.inputs << "</h2>\n<div class=\"scroll\"><table>"
      << "<thead><tr><th>" << w.key << "</th><th>" << w.path << "</th><th>" << w.layer
      << "</th><th>" << w.source_crs << "</th><th>" << w.geometry << "</th><th>" << w.features
      << "</th><th>" << w.warnings << "</th></tr></thead><tbody>\n";
    for (const auto& in : r.inputs) {
        std::string warns;
        for (const auto& x : in.warnings)
            warns += (warns.empty() ? "" : "<br>") + esc(x);
        o << "<tr><td>" << esc(in.key) << "</td><td><code>" << esc(in.path) << "</code></td><td>"
          << esc(in.layer) << "</td><td>" << esc(in.crs) << "</td><td>" << esc(in.geometry)
          << "</td><td class=\"n\">"
          << (in.features >= 0 ? std::to_string(in.features) : std::string(w.not_read))
          << "</td><td class=\"warn\">" << warns << "</td></tr>\n";
    }
    o << "</tbody></table></div></section>\n";

    for (std::size_t i = 0; i < r.steps.size(); ++i) {
        const ReportStep& s = r.steps[i];
        o << "<section class=\"step\" id=\"step-" << i + 1 << "\"><h2>" << w.step << " " << i + 1
          << ": " << esc(s.name) << " <small class=\"note\">(" << esc(s.type) << ", " << std::fixed;
        o.precision(1);
        o << s.seconds << " s)</small></h2>\n";
        o.unsetf(std::ios::fixed);
        o.precision(6);
        if (!s.parameters.empty()) {
            o << "<h3>" << w.parameters << "</h3><dl class=\"meta\">\n";
            for (const auto& [k, v] : s.parameters)
                o << "<dt>" << esc(k) << "</dt><dd><code>" << esc(v) << "</code></dd>\n";
            o << "</dl>\n";
        }
        for (const auto& m : s.maps)
            o << "<figure class=\"map\"><figcaption>" << esc(m.caption)
              << "</figcaption><img alt=\"" << esc(m.caption) << "\" src=\"data:image/png;base64,"
              << base64(m.png) << "\"></figure>\n";
        for (const auto& [caption, t] : s.tables)
            if (t) table_html(o, *t, caption, r.lang, r.max_table_rows);
        if (!s.files.empty()) {
            o << "<h3>" << w.outputs << "</h3><div class=\"scroll\"><table><thead><tr><th>"
              << w.path << "</th><th>" << w.kind << "</th><th>" << w.description
              << "</th></tr></thead><tbody>\n";
            for (const auto& f : s.files)
                o << "<tr><td><code>" << esc(f.path) << "</code></td><td>" << esc(f.kind)
                  << "</td><td>" << esc(f.description) << "</td></tr>\n";
            o << "</tbody></table></div>\n";
        }
        o << "</section>\n";
    }

    o << "<section id=\"warnings\"><h2>" << w.warnings << "</h2>\n";
    if (r.warnings.empty()) {
        o << "<p class=\"note\">" << w.no_warnings << "</p>\n";
    } else {
        o << "<ul class=\"warn\">";
        for (const auto& x : r.warnings)
            o << "<li>" << esc(x) << "</li>";
        o << "</ul>\n";
    }
    o << "</section>\n</body>\n</html>\n";
    return o.str();
}

void write_report(const Report& report, const std::string& path, bool overwrite) {
    const std::string html = report_html(report);
    io::write_text_file(html, path, overwrite);
}

namespace {

struct Reader {
    const std::string* data;
    std::size_t pos = 0;
};

cairo_status_t read_png(void* closure, unsigned char* out, unsigned int length) {
    auto* r = static_cast<Reader*>(closure);
    if (r->pos + length > r->data->size()) return CAIRO_STATUS_READ_ERROR;
    std::copy_n(r->data->data() + r->pos, length, out);
    r->pos += length;
    return CAIRO_STATUS_SUCCESS;
}

cairo_status_t write_png(void* closure, const unsigned char* data, unsigned int length) {
    static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
    return CAIRO_STATUS_SUCCESS;
}

} // namespace

std::string png_for_report(const std::string& path, int max_width) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IoError("cannot read the map '" + path + "'");
    std::ostringstream ss;
    ss << in.rdbuf();
    const std::string bytes = ss.str();
    Reader reader{&bytes};
    detail::SurfacePtr src(cairo_image_surface_create_from_png_stream(&read_png, &reader));
    if (cairo_surface_status(src.get()) != CAIRO_STATUS_SUCCESS)
        throw IoError("'" + path + "' is not a readable PNG");
    const int w = cairo_image_surface_get_width(src.get());
    const int h = cairo_image_surface_get_height(src.get());
    if (w <= max_width) return bytes;
    const double k = double(max_width) / w;
    const int nh = std::max(1, static_cast<int>(std::lround(h * k)));
    detail::SurfacePtr dst(cairo_image_surface_create(CAIRO_FORMAT_RGB24, max_width, nh));
    {
        detail::CairoPtr cr(cairo_create(dst.get()));
        cairo_scale(cr.get(), k, k);
        cairo_set_source_surface(cr.get(), src.get(), 0, 0);
        cairo_pattern_set_filter(cairo_get_source(cr.get()), CAIRO_FILTER_GOOD);
        cairo_paint(cr.get());
    }
    std::string out;
    if (cairo_surface_write_to_png_stream(dst.get(), &write_png, &out) != CAIRO_STATUS_SUCCESS)
        throw IoError("cannot scale the map '" + path + "' for the report");
    return out;
}

} // namespace soilrisk::render
