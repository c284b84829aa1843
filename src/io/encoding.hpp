// Attribute encodings (private to io): resolving a shapefile's encoding from its .cpg
// and DBF language-driver byte, UTF-8 validity, and decoding to UTF-8 with iconv.
#pragma once

#include <iconv.h>
#include <optional>
#include <string>
#include <string_view>

namespace soilrisk::io::detail {

/// Canonical iconv name for a user- or file-given encoding name ("GBK", "936", "ANSI 936",
/// "UTF-8", "65001", "cp1252", "LATIN1", …); nullopt for names that say nothing usable
/// ("ANSI", "", unknown names). GBK, GB2312 and CP936 all map to GB18030 (a superset
/// that also holds place-name characters outside GB2312/GBK).
std::optional<std::string> canonical_encoding(std::string_view name);

/// Encoding named by a DBF language-driver id (byte 29 of the header); nullopt for ids
/// that do not name one reliably (0, and 87 = "ANSI", which GDAL also writes by default).
std::optional<std::string> ldid_encoding(unsigned char ldid);

bool is_valid_utf8(std::string_view s);
bool is_ascii(std::string_view s);

/// Converts from `encoding` to UTF-8 (one converter, reused). Invalid input sequences
/// are replaced by U+FFFD and counted.
class Decoder {
  public:
    explicit Decoder(const std::string& encoding); ///< "UTF-8": pass-through with check
    ~Decoder();
    Decoder(const Decoder&) = delete;
    Decoder& operator=(const Decoder&) = delete;
    std::string decode(std::string_view raw);
    long invalid_sequences() const { return invalid_; }
    const std::string& encoding() const { return encoding_; }

  private:
    std::string encoding_;
    iconv_t cd_ = reinterpret_cast<iconv_t>(-1);
    bool utf8_ = false;
    long invalid_ = 0;
};

} // namespace soilrisk::io::detail
