// soilrisk map: a thematic map (PNG/PDF/SVG) of result and context layers from a style
// file or a shipped template, optionally as a series (one map per source).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <filesystem>

#include "cli/command.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/core/log.hpp"
#include "soilrisk/core/text.hpp"
#include "soilrisk/core/units.hpp"
#include "soilrisk/render/map.hpp"
#include "soilrisk/render/style.hpp"

namespace fs = std::filesystem;

namespace soilrisk::cli {

namespace {

class MapCommand : public Command {
  public:
    void setup(CLI::App& app) override {
        auto* style = app.add_option("--style", style_, "Style file (TOML)")->type_name("S.toml");
        auto* tmpl = app.add_option("--template", template_,
                                    "Shipped map template: farmland, near, downstream, upstream, "
                                    "classify, plan-sampling, sites, hydro")
                         ->type_name("NAME");
        style->excludes(tmpl);
        app.add_option("-i,--input", inputs_,
                       "Vector file whose layers the style draws by name (repeatable)")
            ->type_name("PATH");
        app.add_option("--layer", layers_,
                       "A layer under the name the style uses: NAME=PATH or NAME=PATH:LAYER "
                       "(repeatable)")
            ->type_name("NAME=PATH[:LAYER]");
        app.add_option("-o,--out", out_, "Output map: .png, .pdf or .svg")
            ->required()
            ->type_name("MAP");
        app.add_option("--each", each_,
                       "One map per value of this field (e.g. source_id); PDF: one page each, "
                       "PNG/SVG: one file each")
            ->type_name("FIELD");
        app.add_option("--title", title_, "Map title (default: the style's)");
        app.add_option("--subtitle", subtitle_, "Subtitle (default: the style's)");
        app.add_option("--source-note", source_, "Data-source note (default: the style's)");
        app.add_option("--dpi", dpi_, "PNG resolution")
            ->check(CLI::Range(10.0, 2400.0))
            ->capture_default_str();
        app.add_option("--size", size_, "Page: A4, A3, A4-portrait, A3-landscape … or WxH pixels")
            ->capture_default_str();
        app.add_option("--crs", crs_, "Map CRS (projected; default: chosen from the data)");
        app.add_option("--extent", extent_, "Map extent in the map CRS: XMIN,YMIN,XMAX,YMAX")
            ->type_name("X0,Y0,X1,Y1");
        app.add_option("--margin", margin_, "Margin around the fitted extent (share of its size)")
            ->check(CLI::Range(0.0, 2.0))
            ->capture_default_str();
        app.add_option("--min-extent", min_extent_,
                       "Smallest fitted extent, e.g. 5km (a series of points needs one)")
            ->capture_default_str();
        app.add_flag("--overwrite", overwrite_, "Replace outputs that exist");
    }

    int run(const GlobalOptions& global) override {
        if (style_.empty() && template_.empty())
            throw UsageError("give --style S.toml or --template NAME (templates: " + [] {
                std::string s;
                for (const auto& n : render::template_names())
                    s += (s.empty() ? "" : ", ") + n;
                return s;
            }() + ")");
        if (inputs_.empty() && layers_.empty())
            throw UsageError("no data: give --input PATH and/or --layer NAME=PATH");
        render::MapRequest req;
        req.style = style_.empty() ? render::load_template(template_) : render::load_style(style_);
        req.lang = io::parse_lang(global.lang);
        req.title = title_;
        req.subtitle = subtitle_;
        req.source_note = source_;
        req.each = each_;
        req.margin = margin_;
        req.min_extent_m = soilrisk::parse_length(min_extent_, "--min-extent");
        req.render.dpi = dpi_;
        req.render.page = render::PageSize::parse(size_);
        if (!extent_.empty()) req.extent = parse_extent(extent_);
        render::format_for(out_); // reject a bad extension before reading anything

        // Inputs: named layers, plus the layers of --input files the style asks for.
        std::vector<io::VectorInput> wanted;
        for (const auto& spec : layers_)
            wanted.push_back(parse_layer(spec));
        for (const auto& path : inputs_) {
            const auto names = io::list_layers(path);
            for (const auto& ls : req.style.layers) {
                std::vector<std::string> tries{ls.name};
                tries.insert(tries.end(), ls.aliases.begin(), ls.aliases.end());
                for (const auto& t : tries) {
                    const auto it = std::find_if(names.begin(), names.end(), [&](const auto& n) {
                        return ascii_lower(n) == ascii_lower(t);
                    });
                    if (it == names.end()) continue;
                    const bool dup = std::any_of(wanted.begin(), wanted.end(), [&](const auto& w) {
                        return ascii_lower(w.role) == ascii_lower(*it);
                    });
                    if (!dup) {
                        io::VectorInput in;
                        in.role = *it;
                        in.path = path;
                        in.layer = *it;
                        in.allow_empty = true;
                        wanted.push_back(in);
                    }
                    break;
                }
            }
        }
        std::vector<io::VectorReader> readers;
        for (const auto& in : wanted)
            readers.emplace_back(in);
        std::vector<const io::VectorReader*> ptrs;
        for (const auto& r : readers)
            ptrs.push_back(&r);
        req.crs = io::working_crs_for(ptrs, crs_);
        std::vector<io::Layer> layers;
        layers.reserve(readers.size());
        for (std::size_t i = 0; i < readers.size(); ++i)
            layers.push_back(readers[i].read(req.crs));
        // Offered under the name the style knows them by.
        for (std::size_t i = 0; i < layers.size(); ++i)
            req.layers.push_back({wanted[i].role, &layers[i]});
        const auto outputs = render::draw_maps(req, out_, overwrite_);
        for (const auto& o : outputs) {
            log_info("wrote " + o.path +
                     (o.value.empty() ? "" : " (" + each_ + " " + o.value + ")") +
                     ": scale 1:" + std::to_string(std::llround(o.result.scale_denominator)) +
                     ", " + std::to_string(o.result.features_drawn) + " features, " +
                     std::to_string(o.result.legend.size()) + " legend entries");
        }
        return 0;
    }

  private:
    static Extent parse_extent(const std::string& text) {
        Extent e;
        double v[4];
        std::size_t pos = 0;
        for (int i = 0; i < 4; ++i) {
            const std::size_t comma = text.find(',', pos);
            const std::string part =
                text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
            try {
                std::size_t used = 0;
                v[i] = std::stod(part, &used);
                if (used != part.size()) throw std::invalid_argument("junk");
            } catch (const std::exception&) {
                throw UsageError("--extent '" + text + "': give four numbers XMIN,YMIN,XMAX,YMAX");
            }
            if ((comma == std::string::npos) != (i == 3))
                throw UsageError("--extent '" + text + "': give four numbers XMIN,YMIN,XMAX,YMAX");
            pos = comma + 1;
        }
        e = {v[0], v[1], v[2], v[3]};
        if (!(e.max_x > e.min_x && e.max_y > e.min_y))
            throw UsageError("--extent '" + text + "': XMAX must exceed XMIN and YMAX YMIN");
        return e;
    }

    static io::VectorInput parse_layer(const std::string& spec) {
        const auto eq = spec.find('=');
        if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
            throw UsageError("--layer '" + spec + "': write NAME=PATH or NAME=PATH:LAYER");
        io::VectorInput in;
        in.role = spec.substr(0, eq);
        in.path = spec.substr(eq + 1);
        in.allow_empty = true;
        // PATH:LAYER, unless the whole text is an existing path or a connection string.
        const auto colon = in.path.rfind(':');
        if (colon != std::string::npos && !fs::exists(in.path) &&
            fs::exists(in.path.substr(0, colon))) {
            in.layer = in.path.substr(colon + 1);
            in.path = in.path.substr(0, colon);
        }
        return in;
    }

    std::string style_, template_, out_, each_, title_, subtitle_, source_, crs_, extent_;
    std::vector<std::string> inputs_, layers_;
    double dpi_ = 300;
    std::string size_ = "A4-landscape";
    double margin_ = 0.08;
    std::string min_extent_ = "1km";
    bool overwrite_ = false;
};

std::unique_ptr<Command> make() {
    return std::make_unique<MapCommand>();
}
RegisterCommand reg{"map", "Draw a thematic map (PNG/PDF/SVG) from a style or template", &make};

} // namespace

} // namespace soilrisk::cli
