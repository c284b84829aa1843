#include "soilrisk/io/checksum.hpp"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <openssl/evp.h>

#include "soilrisk/core/error.hpp"
#include "soilrisk/core/text.hpp"

namespace fs = std::filesystem;

namespace soilrisk::io {

namespace {

struct MdCtxDeleter {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

std::string final_hex(EVP_MD_CTX* md) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int len = 0;
    EVP_DigestFinal_ex(md, digest.data(), &len);
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < len; ++i) {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 15];
    }
    return out;
}

std::string sha256_of_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IoError(path + ": cannot open the file to compute its checksum");
    std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> md(EVP_MD_CTX_new());
    if (!md || EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr) != 1)
        throw Error("SHA-256 is not available from OpenSSL");
    std::vector<char> buf(1 << 20);
    while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        const auto n = static_cast<std::size_t>(in.gcount());
        if (n == 0) break;
        EVP_DigestUpdate(md.get(), buf.data(), n);
    }
    if (in.bad()) throw IoError(path + ": read error while computing its checksum");
    return final_hex(md.get());
}

} // namespace

std::string bytes_sha256(const void* data, std::size_t size) {
    std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> md(EVP_MD_CTX_new());
    if (!md || EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr) != 1)
        throw Error("SHA-256 is not available from OpenSSL");
    EVP_DigestUpdate(md.get(), data, size);
    return final_hex(md.get());
}

std::string file_sha256(const std::string& path) {
    // A run asks for the same file more than once (a DEM for each step's cache key and for
    // the manifest): hashed once while its size and modification time stay the same.
    struct Known {
        std::uintmax_t size;
        fs::file_time_type mtime;
        std::string sha256;
    };
    static std::mutex mutex;
    static std::map<std::string, Known> known;
    std::error_code ec;
    const std::uintmax_t size = fs::file_size(path, ec);
    const fs::file_time_type mtime = ec ? fs::file_time_type() : fs::last_write_time(path, ec);
    if (!ec) {
        std::lock_guard lock(mutex);
        const auto it = known.find(path);
        if (it != known.end() && it->second.size == size && it->second.mtime == mtime)
            return it->second.sha256;
    }
    std::string digest_hex = sha256_of_file(path);
    if (!ec) {
        std::lock_guard lock(mutex);
        known[path] = {size, mtime, digest_hex};
    }
    return digest_hex;
}

std::vector<InputFile> dataset_files(const std::string& path, bool checksums) {
    std::vector<InputFile> files;
    if (path.rfind("PG:", 0) == 0 || path.rfind("/vsi", 0) == 0) return files;
    std::error_code ec;
    const fs::path p(path);
    std::vector<fs::path> members;
    if (fs::is_directory(p, ec)) {
        for (const auto& e : fs::directory_iterator(p, ec))
            if (e.is_regular_file()) members.push_back(e.path());
    } else if (fs::is_regular_file(p, ec)) {
        members.push_back(p);
        if (ascii_lower(p.extension().string()) == ".shp") {
            static const char* sidecars[] = {".shx", ".dbf", ".prj", ".cpg",
                                             ".qix", ".sbn", ".sbx"};
            const fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
            const std::string stem = p.stem().string();
            for (const auto& e : fs::directory_iterator(dir, ec)) {
                if (!e.is_regular_file() || e.path().stem().string() != stem) continue;
                const std::string ext = ascii_lower(e.path().extension().string());
                if (std::find_if(std::begin(sidecars), std::end(sidecars),
                                 [&](const char* s) { return ext == s; }) != std::end(sidecars))
                    members.push_back(e.path());
            }
        }
    }
    // The dataset's own file first (when a file), the rest in name order.
    const bool folder = fs::is_directory(p, ec);
    std::sort(members.begin() + (folder || members.empty() ? 0 : 1), members.end());
    for (const auto& m : members) {
        InputFile f;
        f.path = m.string();
        f.bytes = fs::file_size(m, ec);
        if (checksums) f.sha256 = file_sha256(f.path);
        files.push_back(std::move(f));
    }
    return files;
}

} // namespace soilrisk::io
