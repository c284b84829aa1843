// Reading sources/targets for traces and catchments with OGR (interim, see network.hpp).
#include <cstring>
#include <geos_c.h>
#include <memory>
#include <ogrsf_frmts.h>

#include "gdal_util.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/core/log.hpp"
#include "soilrisk/hydro/network.hpp"

namespace soilrisk::hydro {

std::vector<Site> read_sites(const std::string& path, const std::string& layer_name,
                             const std::string& id_field, const GridGeometry& g,
                             const std::vector<float>& z) {
    gdal_init();
    DatasetPtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY));
    if (!ds)
        throw IoError(path + ": cannot open as a vector source (" +
                      std::string(CPLGetLastErrorMsg()) + ")");
    OGRLayer* layer = nullptr;
    if (!layer_name.empty()) {
        layer = ds->GetLayerByName(layer_name.c_str());
        if (!layer) throw UsageError(path + ": has no layer '" + layer_name + "'");
    } else if (ds->GetLayerCount() == 1) {
        layer = ds->GetLayer(0);
    } else {
        std::string names;
        for (int i = 0; i < ds->GetLayerCount(); ++i)
            names += (i ? ", " : "") + std::string(ds->GetLayer(i)->GetName());
        throw UsageError(path + ": has " + std::to_string(ds->GetLayerCount()) + " layers (" +
                         names + "); choose one with --from-layer / --at-layer");
    }
    const OGRSpatialReference* src = layer->GetSpatialRef();
    std::unique_ptr<OGRCoordinateTransformation, void (*)(OGRCoordinateTransformation*)> ct(
        nullptr, [](OGRCoordinateTransformation* p) { OGRCoordinateTransformation::DestroyCT(p); });
    if (!g.crs().empty()) {
        if (!src)
            throw DataError(path + ", layer " + layer->GetName() +
                            ": has no CRS; assign one (e.g. ogr2ogr -a_srs EPSG:4490)");
        OGRSpatialReference s(*src);
        s.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
        if (!s.IsSame(g.crs().ogr())) {
            ct.reset(OGRCreateCoordinateTransformation(&s, g.crs().ogr()));
            if (!ct)
                throw DataError(path + ": no transformation from its CRS to the DEM's " +
                                g.crs().label());
        }
    }
    OGRFeatureDefn* defn = layer->GetLayerDefn();
    int id_index = -1;
    const std::string want = id_field.empty() ? "id" : id_field;
    for (int i = 0; i < defn->GetFieldCount(); ++i)
        if (EQUAL(defn->GetFieldDefn(i)->GetNameRef(), want.c_str())) id_index = i;
    if (id_index < 0 && !id_field.empty())
        throw UsageError(path + ": has no field '" + id_field + "' for the ids");
    auto* h = geos::ctx();
    std::vector<Site> sites;
    layer->ResetReading();
    while (OGRFeature* raw = layer->GetNextFeature()) {
        std::unique_ptr<OGRFeature, void (*)(OGRFeature*)> f(
            raw, [](OGRFeature* p) { OGRFeature::DestroyFeature(p); });
        const std::string id = id_index >= 0 && f->IsFieldSetAndNotNull(id_index)
                                   ? f->GetFieldAsString(id_index)
                                   : std::to_string(f->GetFID());
        OGRGeometry* geom = f->GetGeometryRef();
        if (!geom || geom->IsEmpty()) {
            log_warning(path + ": feature " + std::to_string(f->GetFID()) +
                        " has no geometry; skipped");
            continue;
        }
        if (ct && geom->transform(ct.get()) != OGRERR_NONE)
            throw DataError(path + ": feature " + std::to_string(f->GetFID()) +
                            " cannot be transformed to the DEM's CRS");
        geom->flattenTo2D();
        std::vector<unsigned char> wkb(geom->WkbSize());
        geom->exportToWkb(wkbNDR, wkb.data());
        geos::GeomPtr gg(GEOSGeomFromWKB_buf_r(h, wkb.data(), wkb.size()));
        if (!gg)
            throw DataError(path + ": feature " + std::to_string(f->GetFID()) +
                            " has a geometry GEOS cannot read");
        sites.push_back(make_site(g, z, id, gg.get()));
    }
    if (sites.empty()) throw DataError(path + ": no features with geometry");
    return sites;
}

} // namespace soilrisk::hydro
