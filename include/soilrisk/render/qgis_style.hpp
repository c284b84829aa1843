// QGIS styles for the GeoPackage layers soilrisk writes, from the same map styles that
// draw the maps (same colours, classes and labels):
//
// - QML (a whole <qgis> document) for GpkgWriter::add_style, which stores it in the
//   layer_styles table that QGIS applies when the layer opens. Classes that all test one
//   field for equality become a categorized renderer ("categorizedSymbol") on that field;
//   other filters a rule-based renderer; a layer without classes a single-symbol renderer.
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

/// SLD 1.1 for the same. `layer_name` names the NamedLayer.
std::string sld_for(const LayerStyle& style, io::GeometryKind kind, io::Lang lang,
                    const std::string& layer_name);

/// The style of an output layer, from the shipped templates: the layer of template
/// `template_hint` (if given) whose name or alias is `layer`, else the first such layer in
/// any template; else, when `fields` holds "category", the farmland-by-category style.
/// nullopt when none fits.
std::optional<LayerStyle> template_layer_style(const std::string& layer,
                                               const std::vector<std::string>& fields,
                                               const std::string& template_hint = {});

/// Adds the template style of `layer` (see template_layer_style) to a GeoPackage being
/// written, with its SLD in the styleSLD column; when `sld_sidecar` is not empty the SLD is
/// also written (atomically) to that path. Returns false when no style fits the layer.
bool add_template_style(io::GpkgWriter& writer, const std::string& layer, io::GeometryKind kind,
                        const std::vector<std::string>& fields, io::Lang lang,
                        const std::string& template_hint = {}, const std::string& sld_sidecar = {});

} // namespace soilrisk::render
