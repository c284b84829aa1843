// QGIS styles for the GeoPackage layers soilrisk writes, from the same map styles that
// draw the maps (same colours, classes and labels):
//
// - QML (a whole <qgis> document) for GpkgWriter::add_style, which stores it in the
//   layer_styles table that QGIS applies when the layer opens. Classes that all test one
//   field for equality become a categorized renderer ("categorizedSymbol") on that field;
//   classes `field <= v` with ascending v (the last optionally without filter) a
//   graduated renderer ("graduatedSymbol", e.g. line widths by stream order); other
//   filters a rule-based renderer; a layer without classes a single-symbol renderer.
//   Lines with chainage ticks get a marker-line layer (a bar every `ticks` metres).
//   Symbol layers are written with <prop k v> elements, which every QGIS 3 reads.
// - SLD 1.1 (StyledLayerDescriptor, OGC Symbology Encoding) for other GIS software.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "soilrisk/io/vector.hpp"
#include "soilrisk/io/vector_writer.hpp"
#include "soilrisk/render/style.hpp"

namespace soilrisk::render {

/// QML for a layer of geometry `kind` (point, line or polygon) drawn with `style`.
std::string qml_for(const LayerStyle& style, io::GeometryKind kind, io::Lang lang);
/// QML for a layer the map draws in several passes (e.g. category fill, then change
/// hatching): a rule-based renderer with one group of rules per pass.
std::string qml_for(const std::vector<LayerStyle>& passes, io::GeometryKind kind, io::Lang lang);

/// SLD 1.1 for the same. `layer_name` names the NamedLayer.
std::string sld_for(const LayerStyle& style, io::GeometryKind kind, io::Lang lang,
                    const std::string& layer_name);
/// SLD for several passes: one FeatureTypeStyle each.
std::string sld_for(const std::vector<LayerStyle>& passes, io::GeometryKind kind, io::Lang lang,
                    const std::string& layer_name);

/// The style of an output layer, from the shipped templates: the layer of template
/// `template_hint` (if given) whose name or alias is `layer`, else the first such layer in
/// any template; else, when `fields` holds "category", the farmland-by-category style.
/// nullopt when none fits.
std::optional<LayerStyle> template_layer_style(const std::string& layer,
                                               const std::vector<std::string>& fields,
                                               const std::string& template_hint = {});

/// Every pass of `layer` in the first template that has it (same search as
/// template_layer_style); empty when none fits.
std::vector<LayerStyle> template_layer_styles(const std::string& layer,
                                              const std::vector<std::string>& fields,
                                              const std::string& template_hint = {});

/// The style of an output layer no template names: a plain grey symbol for `kind`.
LayerStyle fallback_layer_style(const std::string& layer, io::GeometryKind kind);

/// The styles of the layers of a GeoPackage soilrisk writes (see io::OutputStyles): each
/// layer's passes in template `template_hint` (then the other templates, then the
/// farmland-by-category style for layers with a category field, then
/// fallback_layer_style), as QML and SLD with labels in `lang`; with `sld_sidecars`
/// the writers also put each SLD next to the GeoPackage.
io::OutputStyles output_styles(const std::string& template_hint, io::Lang lang,
                               bool sld_sidecars = false);

/// Adds the template style of `layer` (see template_layer_style) to a GeoPackage being
/// written, with its SLD in the styleSLD column; when `sld_sidecar` is not empty the SLD is
/// also written (atomically) to that path. Returns false when no style fits the layer.
bool add_template_style(io::GpkgWriter& writer, const std::string& layer, io::GeometryKind kind,
                        const std::vector<std::string>& fields, io::Lang lang,
                        const std::string& template_hint = {}, const std::string& sld_sidecar = {});

} // namespace soilrisk::render
