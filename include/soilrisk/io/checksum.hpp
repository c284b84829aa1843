#pragma once
// Checksums of input files, for run manifests and caches.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace soilrisk::io {

/// SHA-256 of a file's bytes as 64 lowercase hex digits (OpenSSL). Throws IoError naming
/// the file when it cannot be read.
std::string file_sha256(const std::string& path);

/// SHA-256 of `size` bytes in memory, as file_sha256 (e.g. a cache key over cell lists).
std::string bytes_sha256(const void* data, std::size_t size);

struct InputFile {
    std::string path; ///< as found (the dataset's path, or a sidecar / member file)
    std::uint64_t bytes = 0;
    std::string sha256; ///< file_sha256()
};

/// The files a dataset is made of, each with its checksum: a Shapefile's .shp with its
/// sidecars (.shx .dbf .prj .cpg .qix .sbn .sbx, any case), a folder (FileGDB) member by
/// member in name order, anything else the one file. Empty for what is not a local file or
/// folder (PG: connection strings, /vsi paths). Without `checksums`, sha256 is left empty.
std::vector<InputFile> dataset_files(const std::string& path, bool checksums = true);

} // namespace soilrisk::io
