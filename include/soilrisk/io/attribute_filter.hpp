// A small attribute-filter language for selecting features already in memory, e.g. the
// target farmland of a sampling plan ("category in (2,3)") out of a layer whose other
// features are still needed (so the reader's OGR SQL --ROLE-where cannot be used).
//
// Grammar (keywords case-insensitive):
//   expr    := and ("or" and)*
//   and     := unary ("and" unary)*
//   unary   := "not" unary | "(" expr ")" | compare
//   compare := NAME op VALUE | NAME ["not"] "in" "(" VALUE ("," VALUE)* ")"
//            | NAME "is" ["not"] "null"
//   op      := "=" | "==" | "!=" | "<>" | "<" | "<=" | ">" | ">="
//   VALUE   := number | 'text' | "text"        ('' inside '…' is a quote)
//   NAME    := a field role (category, county, …) or a field name, case-insensitive;
//              letters, digits, _ and any non-ASCII character (类别), or `quoted`.
// Semantics as SQL: a comparison with a null field is false (so "not x = 1" is true for
// null); numbers compare numerically when the field's value reads as a number, else as
// text (byte order).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "soilrisk/io/vector.hpp"

namespace soilrisk::io {

class AttributeFilter {
  public:
    /// Parses `expr`; throws UsageError naming `what` (e.g. "--target") and the position.
    static AttributeFilter parse(std::string_view expr, std::string_view what);
    AttributeFilter();
    ~AttributeFilter();
    AttributeFilter(AttributeFilter&&) noexcept;
    AttributeFilter& operator=(AttributeFilter&&) noexcept;

    /// Resolves names against `layer` (role mapping first, then field names). Throws
    /// DataError naming the file, layer, the unknown name and the fields that exist.
    void bind(const Layer& layer);
    /// Whether a row (values in the bound layer's field order) passes. Requires bind().
    bool matches(const std::vector<Value>& values) const;
    /// Field indices the expression reads (after bind()).
    std::vector<int> fields_used() const;
    const std::string& text() const { return text_; }

    struct Node; ///< parse tree (defined in the .cpp)

  private:
    std::string text_, what_;
    std::shared_ptr<Node> root_;
};

} // namespace soilrisk::io
