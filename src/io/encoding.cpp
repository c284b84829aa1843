#include "io/encoding.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>

#include "soilrisk/core/error.hpp"

namespace soilrisk::io::detail {

namespace {

std::string normalise(std::string_view name) {
    std::string s;
    for (char c : name)
        if (!std::isspace(static_cast<unsigned char>(c)) && c != '-' && c != '_')
            s += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

} // namespace

std::optional<std::string> canonical_encoding(std::string_view name) {
    const std::string n = normalise(name);
    if (n.empty() || n == "ANSI" || n == "SYSTEM" || n == "OEM") return std::nullopt;
    if (n == "UTF8" || n == "65001" || n == "ANSI65001" || n == "UTF8BOM") return "UTF-8";
    if (n == "936" || n == "CP936" || n == "GBK" || n == "GB2312" || n == "GB18030" ||
        n == "ANSI936" || n == "54936" || n == "EUCCN" || n == "WINDOWS936" || n == "MS936")
        return "GB18030";
    if (n == "950" || n == "CP950" || n == "BIG5" || n == "ANSI950") return "BIG5";
    if (n == "932" || n == "CP932" || n == "SHIFTJIS" || n == "SJIS") return "CP932";
    if (n == "949" || n == "CP949" || n == "EUCKR") return "CP949";
    if (n == "1252" || n == "CP1252" || n == "WINDOWS1252" || n == "ANSI1252") return "CP1252";
    if (n == "88591" || n == "ISO88591" || n == "LATIN1" || n == "28591") return "ISO-8859-1";
    if (n == "1250" || n == "CP1250") return "CP1250";
    if (n == "1251" || n == "CP1251") return "CP1251";
    if (n == "437" || n == "CP437") return "CP437";
    if (n == "850" || n == "CP850") return "CP850";
    // Let iconv decide whether it knows any other name.
    iconv_t cd = iconv_open("UTF-8", std::string(name).c_str());
    if (cd == reinterpret_cast<iconv_t>(-1)) return std::nullopt;
    iconv_close(cd);
    return std::string(name);
}

std::optional<std::string> ldid_encoding(unsigned char ldid) {
    switch (ldid) {
    case 0x01:
        return "CP437";
    case 0x02:
        return "CP850";
    case 0x03:
        return "CP1252";
    case 0x4D:
        return "GB18030"; // 77: Chinese GBK (PRC)
    case 0x4E:
        return "CP949";
    case 0x4F:
        return "BIG5";
    case 0x78:
        return "BIG5"; // 120
    case 0x79:
        return "CP949";
    case 0x7A:
        return "GB18030"; // 122: Chinese GBK (PRC)
    case 0x7B:
        return "CP932";
    case 0xC8:
        return "CP1250";
    case 0xC9:
        return "CP1251";
    default:
        return std::nullopt; // 0: unspecified; 87 (0x57): "ANSI", no information
    }
}

bool is_ascii(std::string_view s) {
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

bool is_valid_utf8(std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    while (p < end) {
        const unsigned char c = *p;
        int n = 0;
        std::uint32_t cp = 0;
        if (c < 0x80) {
            ++p;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (end - p <= n) return false;
        for (int i = 1; i <= n; ++i) {
            if ((p[i] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        p += n + 1;
    }
    return true;
}

Decoder::Decoder(const std::string& encoding) : encoding_(encoding) {
    utf8_ = (encoding == "UTF-8");
    if (!utf8_) {
        cd_ = iconv_open("UTF-8", encoding.c_str());
        if (cd_ == reinterpret_cast<iconv_t>(-1))
            throw UsageError("encoding '" + encoding + "' is not known; use e.g. GBK or UTF-8");
    }
}

Decoder::~Decoder() {
    if (cd_ != reinterpret_cast<iconv_t>(-1)) iconv_close(cd_);
}

std::string Decoder::decode(std::string_view raw) {
    if (is_ascii(raw)) return std::string(raw);
    if (utf8_) {
        if (!is_valid_utf8(raw)) ++invalid_;
        return std::string(raw);
    }
    iconv(cd_, nullptr, nullptr, nullptr, nullptr);
    std::string out;
    out.resize(raw.size() * 4 + 8);
    char* in = const_cast<char*>(raw.data());
    std::size_t in_left = raw.size();
    char* dst = out.data();
    std::size_t out_left = out.size();
    while (in_left > 0) {
        if (iconv(cd_, &in, &in_left, &dst, &out_left) == static_cast<std::size_t>(-1)) {
            if (errno == E2BIG) break; // cannot happen with 4x room; be safe
            // Invalid or incomplete sequence: emit U+FFFD and skip one byte.
            ++invalid_;
            ++in;
            --in_left;
            if (out_left >= 3) {
                *dst++ = '\xEF';
                *dst++ = '\xBF';
                *dst++ = '\xBD';
                out_left -= 3;
            }
        }
    }
    out.resize(out.size() - out_left);
    return out;
}

} // namespace soilrisk::io::detail
