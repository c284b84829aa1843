// SQL quoting shared by the GeoPackage and PostGIS writers and the SQL of the views they
// are given (internal to the library).
#pragma once

#include <string>

namespace soilrisk::io::detail {

/// "name" with embedded double quotes doubled: an SQL identifier.
inline std::string quote_ident(const std::string& name) {
    std::string q = "\"";
    for (char c : name) {
        if (c == '"') q += '"';
        q += c;
    }
    return q + "\"";
}

/// 'text' with embedded single quotes doubled: an SQL string literal.
inline std::string quote_literal(const std::string& text) {
    std::string q = "'";
    for (char c : text) {
        if (c == '\'') q += '\'';
        q += c;
    }
    return q + "'";
}

} // namespace soilrisk::io::detail
