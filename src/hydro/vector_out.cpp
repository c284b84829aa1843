#include "soilrisk/hydro/vector_out.hpp"

#include <cmath>
#include <gdal_alg.h>
#include <gdal_priv.h>
#include <memory>
#include <ogrsf_frmts.h>

#include "gdal_util.hpp"
#include "io/gpkg_bulk.hpp"
#include "soilrisk/core/error.hpp"
#include "soilrisk/core/units.hpp"
#include "soilrisk/io/output.hpp"

namespace soilrisk::hydro {

namespace {

struct FeatureDeleter {
    void operator()(OGRFeature* f) const noexcept { OGRFeature::DestroyFeature(f); }
};
using FeaturePtr = std::unique_ptr<OGRFeature, FeatureDeleter>;

// A GeoPackage being written under a temporary name.
class GpkgOut {
  public:
    GpkgOut(const std::string& path, const VectorWriteOptions& options)
        : path_(path), pending_(path, options.overwrite), overwrite_(options.overwrite),
          styles_(options.styles) {
        gdal_init();
        GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GPKG");
        if (!drv) throw IoError("GDAL has no GPKG driver");
        ds_.reset(drv->Create(pending_.temp_path().c_str(), 0, 0, 0, GDT_Unknown, nullptr));
        if (!ds_)
            throw IoError(path + ": cannot create (" + std::string(CPLGetLastErrorMsg()) +
                          "); check that the folder is writable");
        for (const auto& [k, v] : options.metadata)
            ds_->SetMetadataItem(k.c_str(), v.c_str());
    }
    OGRLayer* layer(const char* name, const GridGeometry& g, OGRwkbGeometryType type) {
        // The spatial index is packed in bulk when the file is complete (io/gpkg_bulk).
        const char* lco[] = {"SPATIAL_INDEX=NO", nullptr};
        OGRSpatialReference* srs =
            g.crs().empty() ? nullptr : const_cast<OGRSpatialReference*>(g.crs().ogr());
        OGRLayer* l = ds_->CreateLayer(name, srs, type, const_cast<char**>(lco));
        if (!l) fail("cannot create layer");
        const auto flat = wkbFlatten(type);
        const io::GeometryKind kind =
            flat == wkbPoint || flat == wkbMultiPoint             ? io::GeometryKind::point
            : flat == wkbLineString || flat == wkbMultiLineString ? io::GeometryKind::line
                                                                  : io::GeometryKind::polygon;
        layers_.push_back({name, kind, {}});
        rtrees_.push_back({name, "geom", "fid", {}});
        return l;
    }
    void field(OGRLayer* l, const char* name, OGRFieldType type) {
        OGRFieldDefn f(name, type);
        if (l->CreateField(&f) != OGRERR_NONE) fail("cannot create field");
        for (auto& e : layers_)
            if (e.name == l->GetName()) e.fields.push_back(name);
    }
    void begin() { ds_->StartTransaction(); }
    void add(OGRLayer* l, OGRFeature* f) {
        if (l->CreateFeature(f) != OGRERR_NONE) fail("cannot write a feature");
        const OGRGeometry* g = f->GetGeometryRef();
        if (!g || g->IsEmpty()) return;
        OGREnvelope e;
        g->getEnvelope(&e);
        for (auto& r : rtrees_)
            if (r.table == l->GetName())
                r.entries.push_back({f->GetFID(), e.MinX, e.MaxX, e.MinY, e.MaxY});
    }
    /// Commits, styles the layers, closes and renames; returns the SLD sidecars written.
    std::vector<std::string> commit() {
        if (ds_->CommitTransaction() != OGRERR_NONE) fail("cannot commit");
        std::vector<std::pair<std::string, io::LayerStyleDocs>> styled;
        for (const auto& e : layers_)
            if (auto docs = styles_.style(e.name, e.kind, e.fields)) {
                io::write_layer_style(*ds_, e.name, *docs, path_);
                styled.emplace_back(e.name, std::move(*docs));
            }
        CPLErrorReset();
        ds_.reset();
        if (CPLGetLastErrorType() == CE_Failure) fail("cannot finish writing");
        std::vector<io::detail::BulkRows> no_rows;
        io::detail::write_gpkg_bulk(pending_.temp_path(), no_rows, rtrees_, path_);
        if (styles_.sld_sidecars) io::check_sld_sidecars(path_, styled, overwrite_);
        pending_.commit();
        if (!styles_.sld_sidecars) return {};
        return io::write_sld_sidecars(path_, styled, overwrite_);
    }
    [[noreturn]] void fail(const char* what) {
        throw IoError(path_ + ": " + what + " (" + std::string(CPLGetLastErrorMsg()) + ")");
    }

  private:
    struct LayerInfo {
        std::string name;
        io::GeometryKind kind;
        std::vector<std::string> fields;
    };
    std::string path_;
    io::AtomicOutput pending_;
    bool overwrite_;
    io::OutputStyles styles_;
    std::vector<LayerInfo> layers_;
    std::vector<io::detail::RtreeLayer> rtrees_;
    DatasetPtr ds_;
};

} // namespace

std::vector<std::string> write_streams_gpkg(const std::string& path, const GridGeometry& g,
                                            const std::vector<StreamSegment>& streams,
                                            const VectorWriteOptions& options) {
    GpkgOut out(path, options);
    OGRLayer* l = out.layer("streams", g, wkbLineString);
    out.field(l, "stream_id", OFTInteger);
    out.field(l, "downstream_id", OFTInteger);
    out.field(l, "strahler", OFTInteger);
    out.field(l, "upstream_area_m2", OFTReal);
    out.field(l, "upstream_area_km2", OFTReal);
    out.field(l, "upstream_cells", OFTInteger64);
    out.field(l, "length_m", OFTReal);
    out.begin();
    for (const auto& s : streams) {
        if (s.cells.size() < 2) continue; // a head that is also an outlet: no line
        FeaturePtr f(OGRFeature::CreateFeature(l->GetLayerDefn()));
        f->SetField("stream_id", s.id);
        if (s.downstream_id > 0) f->SetField("downstream_id", s.downstream_id);
        f->SetField("strahler", s.strahler);
        f->SetField("upstream_area_m2", s.upstream_area_m2);
        f->SetField("upstream_area_km2", s.upstream_area_m2 / 1e6);
        f->SetField("upstream_cells", static_cast<GIntBig>(s.upstream_cells));
        f->SetField("length_m", s.length_m);
        auto* line = new OGRLineString();
        line->setNumPoints(static_cast<int>(s.cells.size()));
        for (std::size_t v = 0; v < s.cells.size(); ++v)
            line->setPoint(static_cast<int>(v), g.x(g.col_of(s.cells[v])),
                           g.y(g.row_of(s.cells[v])));
        f->SetGeometryDirectly(line);
        out.add(l, f.get());
    }
    return out.commit();
}

std::vector<std::string> write_traces_gpkg(const std::string& path, const GridGeometry& g,
                                           const std::vector<TracePath>& paths,
                                           const std::vector<std::vector<float>>& elevation,
                                           const std::vector<std::vector<float>>& filled,
                                           const std::vector<std::uint32_t>& acc_cells,
                                           const VectorWriteOptions& options) {
    GpkgOut out(path, options);
    OGRLayer* l = out.layer("paths", g, wkbLineStringZM);
    out.field(l, "source_id", OFTString);
    out.field(l, "start_chainage_m", OFTReal);
    out.field(l, "end_chainage_m", OFTReal);
    out.field(l, "length_m", OFTReal);
    out.field(l, "stop_reason", OFTString);
    out.field(l, "merged_into", OFTString);
    out.field(l, "vertices", OFTInteger);
    OGRLayer* pl = out.layer("profile", g, wkbPoint25D);
    out.field(pl, "source_id", OFTString);
    out.field(pl, "vertex", OFTInteger);
    out.field(pl, "chainage_m", OFTReal);
    out.field(pl, "elevation_m", OFTReal);
    out.field(pl, "filled_m", OFTReal);
    out.field(pl, "accumulation_cells", OFTInteger64);
    out.begin();
    for (std::size_t p = 0; p < paths.size(); ++p) {
        const TracePath& t = paths[p];
        const auto& elev = elevation.size() > p && !elevation[p].empty() ? elevation[p] : filled[p];
        FeaturePtr f(OGRFeature::CreateFeature(l->GetLayerDefn()));
        f->SetField("source_id", t.source_id.c_str());
        f->SetField("start_chainage_m", 0.0);
        f->SetField("end_chainage_m", t.length_m());
        f->SetField("length_m", t.length_m());
        f->SetField("stop_reason", to_string(t.stop));
        if (!t.merged_into.empty()) f->SetField("merged_into", t.merged_into.c_str());
        f->SetField("vertices", static_cast<int>(t.cells.size()));
        auto* line = new OGRLineString();
        const int n = static_cast<int>(t.cells.size());
        // A single-vertex path (merged at its start) is written as a degenerate segment.
        line->setNumPoints(std::max(n, 2));
        for (int v = 0; v < std::max(n, 2); ++v) {
            const int u = std::min(v, n - 1);
            const std::size_t c = t.cells[u];
            line->setPoint(v, g.x(g.col_of(c)), g.y(g.row_of(c)), elev[u], t.chainage_m[u]);
        }
        f->SetGeometryDirectly(line);
        out.add(l, f.get());
        for (int v = 0; v < n; ++v) {
            const std::size_t c = t.cells[v];
            FeaturePtr q(OGRFeature::CreateFeature(pl->GetLayerDefn()));
            q->SetField("source_id", t.source_id.c_str());
            q->SetField("vertex", v);
            q->SetField("chainage_m", t.chainage_m[v]);
            if (!std::isnan(elev[v])) q->SetField("elevation_m", double(elev[v]));
            q->SetField("filled_m", double(filled[p][v]));
            q->SetField("accumulation_cells", static_cast<GIntBig>(acc_cells[c]));
            q->SetGeometryDirectly(new OGRPoint(g.x(g.col_of(c)), g.y(g.row_of(c)), elev[v]));
            out.add(pl, q.get());
        }
    }
    return out.commit();
}

std::vector<std::string> write_catchments_gpkg(const std::string& path, const GridGeometry& g,
                                               const std::vector<Catchment>& catchments,
                                               const VectorWriteOptions& options) {
    GpkgOut out(path, options);
    OGRLayer* l = out.layer("catchments", g, wkbMultiPolygon);
    out.field(l, "target_id", OFTString);
    out.field(l, "cells", OFTInteger64);
    out.field(l, "area_m2", OFTReal);
    out.field(l, "area_km2", OFTReal);
    out.field(l, "area_mu", OFTReal);
    out.field(l, "outlet_x", OFTReal);
    out.field(l, "outlet_y", OFTReal);
    out.field(l, "snap_distance_m", OFTReal);
    GDALDriver* mem = GetGDALDriverManager()->GetDriverByName("MEM");
    GDALDriver* vmem = GetGDALDriverManager()->GetDriverByName("Memory");
    if (!mem || !vmem) throw IoError("GDAL has no MEM/Memory driver");
    out.begin();
    for (const auto& c : catchments) {
        // Polygonize the mask window.
        DatasetPtr rds(mem->Create("", c.cols, c.rows, 1, GDT_Byte, nullptr));
        auto gt = g.geotransform();
        gt[0] += c.col0 * gt[1];
        gt[3] += c.row0 * gt[5];
        rds->SetGeoTransform(gt.data());
        GDALRasterBand* band = rds->GetRasterBand(1);
        if (band->RasterIO(GF_Write, 0, 0, c.cols, c.rows, const_cast<std::uint8_t*>(c.mask.data()),
                           c.cols, c.rows, GDT_Byte, 0, 0) != CE_None)
            throw IoError("cannot build the catchment mask of " + c.target_id);
        DatasetPtr vds(vmem->Create("", 0, 0, 0, GDT_Unknown, nullptr));
        OGRLayer* pl = vds->CreateLayer("p", nullptr, wkbPolygon, nullptr);
        OGRFieldDefn fd("v", OFTInteger);
        pl->CreateField(&fd);
        if (GDALPolygonize(band, band, pl, 0, nullptr, nullptr, nullptr) != CE_None)
            throw IoError("cannot polygonize the catchment of " + c.target_id + ": " +
                          CPLGetLastErrorMsg());
        auto* multi = new OGRMultiPolygon();
        pl->ResetReading();
        while (OGRFeature* pf = pl->GetNextFeature()) {
            FeaturePtr hold(pf);
            if (pf->GetFieldAsInteger(0) == 1 && pf->GetGeometryRef())
                multi->addGeometry(pf->GetGeometryRef());
        }
        FeaturePtr f(OGRFeature::CreateFeature(l->GetLayerDefn()));
        f->SetField("target_id", c.target_id.c_str());
        f->SetField("cells", static_cast<GIntBig>(c.cells));
        f->SetField("area_m2", c.area_m2);
        f->SetField("area_km2", c.area_m2 / 1e6);
        f->SetField("area_mu", m2_to_mu(c.area_m2));
        f->SetField("outlet_x", g.x(g.col_of(c.outlet_cell)));
        f->SetField("outlet_y", g.y(g.row_of(c.outlet_cell)));
        f->SetField("snap_distance_m", c.snap_distance_m);
        f->SetGeometryDirectly(multi);
        out.add(l, f.get());
    }
    return out.commit();
}

} // namespace soilrisk::hydro
