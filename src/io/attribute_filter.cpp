#include "soilrisk/io/attribute_filter.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include "soilrisk/core/error.hpp"
#include "soilrisk/core/text.hpp"

namespace soilrisk::io {

struct AttributeFilter::Node {
    enum class Kind { op_or, op_and, op_not, compare, in, is_null } kind;
    std::shared_ptr<Node> a, b;
    std::string name; ///< field name or role as written
    int field = -1;
    std::string op;                 ///< compare: = != < <= > >=
    std::vector<std::string> texts; ///< literal values as text
    std::vector<std::optional<double>> numbers;
    bool negate = false; ///< not in / is not null
};

namespace {

struct Token {
    enum class Kind { name, number, text, symbol, end } kind;
    std::string text;
    std::size_t pos;
};

class Parser {
  public:
    Parser(std::string_view s, std::string_view what) : s_(s), what_(what) { lex(); }

    std::shared_ptr<AttributeFilter::Node> parse() {
        auto n = parse_or();
        if (peek().kind != Token::Kind::end) fail("unexpected '" + peek().text + "'");
        return n;
    }

  private:
    using Node = AttributeFilter::Node;

    [[noreturn]] void fail(const std::string& msg) const {
        throw UsageError(std::string(what_) + ": " + msg + " at character " +
                         std::to_string(peek().pos + 1) + " of \"" + std::string(s_) +
                         "\"; write e.g. \"category in (2,3)\" or \"category = 3 and county = "
                         "'融水苗族自治县'\"");
    }

    void lex() {
        std::size_t i = 0;
        auto is_name = [](unsigned char c) { return std::isalnum(c) || c == '_' || c >= 0x80; };
        while (i < s_.size()) {
            const unsigned char c = s_[i];
            if (std::isspace(c)) {
                ++i;
                continue;
            }
            const std::size_t start = i;
            if (c == '\'' || c == '"' || c == '`') {
                std::string text;
                ++i;
                bool closed = false;
                while (i < s_.size()) {
                    if (s_[i] == static_cast<char>(c)) {
                        if (i + 1 < s_.size() && s_[i + 1] == static_cast<char>(c)) {
                            text += c;
                            i += 2;
                            continue;
                        }
                        closed = true;
                        ++i;
                        break;
                    }
                    text += s_[i++];
                }
                if (!closed) {
                    tokens_.push_back({Token::Kind::end, "", start});
                    pos_ = tokens_.size() - 1;
                    fail("unterminated quote");
                }
                tokens_.push_back({c == '`' ? Token::Kind::name : Token::Kind::text, text, start});
            } else if (std::isdigit(c) ||
                       ((c == '-' || c == '+' || c == '.') && i + 1 < s_.size() &&
                        (std::isdigit(static_cast<unsigned char>(s_[i + 1])) ||
                         s_[i + 1] == '.'))) {
                ++i;
                while (i < s_.size() &&
                       (std::isalnum(static_cast<unsigned char>(s_[i])) || s_[i] == '.' ||
                        ((s_[i] == '-' || s_[i] == '+') && (s_[i - 1] == 'e' || s_[i - 1] == 'E'))))
                    ++i;
                tokens_.push_back(
                    {Token::Kind::number, std::string(s_.substr(start, i - start)), start});
            } else if (is_name(c)) {
                while (i < s_.size() && is_name(static_cast<unsigned char>(s_[i])))
                    ++i;
                tokens_.push_back(
                    {Token::Kind::name, std::string(s_.substr(start, i - start)), start});
            } else {
                static const char* two[] = {"<=", ">=", "<>", "!=", "=="};
                std::string sym(1, static_cast<char>(c));
                for (const char* t : two)
                    if (s_.substr(i, 2) == t)
                        sym = std::string(t, 2); // (move: GCC 12 -Wrestrict bug 105651)
                if (sym.size() == 1 &&
                    std::string("=<>(),").find(static_cast<char>(c)) == std::string::npos) {
                    tokens_.push_back({Token::Kind::end, "", start});
                    pos_ = tokens_.size() - 1;
                    fail(std::string("unexpected character '") + static_cast<char>(c) + "'");
                }
                i += sym.size();
                tokens_.push_back({Token::Kind::symbol, sym, start});
            }
        }
        tokens_.push_back({Token::Kind::end, "end of text", s_.size()});
    }

    const Token& peek() const { return tokens_[std::min(pos_, tokens_.size() - 1)]; }
    Token take() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }
    bool keyword(const char* k) const {
        return peek().kind == Token::Kind::name && ascii_lower(peek().text) == k;
    }
    bool symbol(const char* s) const {
        return peek().kind == Token::Kind::symbol && peek().text == s;
    }
    void expect(const char* s) {
        if (!symbol(s)) fail(std::string("expected '") + s + "'");
        ++pos_;
    }

    std::shared_ptr<Node> parse_or() {
        auto left = parse_and();
        while (keyword("or")) {
            ++pos_;
            auto n = std::make_shared<Node>();
            n->kind = Node::Kind::op_or;
            n->a = left;
            n->b = parse_and();
            left = n;
        }
        return left;
    }
    std::shared_ptr<Node> parse_and() {
        auto left = parse_unary();
        while (keyword("and")) {
            ++pos_;
            auto n = std::make_shared<Node>();
            n->kind = Node::Kind::op_and;
            n->a = left;
            n->b = parse_unary();
            left = n;
        }
        return left;
    }
    std::shared_ptr<Node> parse_unary() {
        if (keyword("not")) {
            ++pos_;
            auto n = std::make_shared<Node>();
            n->kind = Node::Kind::op_not;
            n->a = parse_unary();
            return n;
        }
        if (symbol("(")) {
            ++pos_;
            auto n = parse_or();
            expect(")");
            return n;
        }
        return parse_compare();
    }
    void literal(Node& n) {
        const Token t = peek();
        if (t.kind == Token::Kind::number) {
            char* end = nullptr;
            const double v = std::strtod(t.text.c_str(), &end);
            if (!end || *end || !std::isfinite(v)) fail("'" + t.text + "' is not a number");
            n.texts.push_back(t.text);
            n.numbers.push_back(v);
        } else if (t.kind == Token::Kind::text) {
            n.texts.push_back(t.text);
            n.numbers.push_back(std::nullopt);
        } else {
            fail("expected a number or a 'quoted text' value");
        }
        ++pos_;
    }
    std::shared_ptr<Node> parse_compare() {
        if (peek().kind != Token::Kind::name) fail("expected a field name");
        auto n = std::make_shared<Node>();
        n->name = take().text;
        if (keyword("is")) {
            ++pos_;
            n->kind = Node::Kind::is_null;
            if (keyword("not")) {
                ++pos_;
                n->negate = true;
            }
            if (!keyword("null")) fail("expected 'null'");
            ++pos_;
            return n;
        }
        if (keyword("not")) {
            ++pos_;
            n->negate = true;
            if (!keyword("in")) fail("expected 'in' after 'not'");
        }
        if (keyword("in")) {
            ++pos_;
            n->kind = Node::Kind::in;
            expect("(");
            literal(*n);
            while (symbol(",")) {
                ++pos_;
                literal(*n);
            }
            expect(")");
            return n;
        }
        if (peek().kind != Token::Kind::symbol || peek().text == "(" || peek().text == ")" ||
            peek().text == ",")
            fail("expected a comparison (=, !=, <, <=, >, >=, in, is null)");
        n->kind = Node::Kind::compare;
        const std::string op = take().text;
        n->op = op == "==" ? std::string("=") : op == "<>" ? std::string("!=") : op;
        literal(*n);
        return n;
    }

    std::string_view s_, what_;
    std::vector<Token> tokens_;
    std::size_t pos_ = 0;
};

/// -1, 0, 1 comparing a field value with literal k of node n; nullopt for null.
std::optional<int> compare(const Value& v, const AttributeFilter::Node& n, std::size_t k) {
    if (std::holds_alternative<std::monostate>(v)) return std::nullopt;
    if (n.numbers[k]) {
        if (const auto x = Layer::number(v)) return (*x > *n.numbers[k]) - (*x < *n.numbers[k]);
    }
    const std::string t = Layer::text(v);
    const int c = t.compare(n.texts[k]);
    return (c > 0) - (c < 0);
}

bool eval(const AttributeFilter::Node& n, const std::vector<Value>& values) {
    using Kind = AttributeFilter::Node::Kind;
    switch (n.kind) {
    case Kind::op_or:
        return eval(*n.a, values) || eval(*n.b, values);
    case Kind::op_and:
        return eval(*n.a, values) && eval(*n.b, values);
    case Kind::op_not:
        return !eval(*n.a, values);
    case Kind::is_null:
        return std::holds_alternative<std::monostate>(values[n.field]) != n.negate;
    case Kind::in: {
        const Value& v = values[n.field];
        if (std::holds_alternative<std::monostate>(v)) return false;
        bool found = false;
        for (std::size_t k = 0; k < n.texts.size() && !found; ++k)
            found = compare(v, n, k) == 0;
        return found != n.negate;
    }
    case Kind::compare: {
        const auto c = compare(values[n.field], n, 0);
        if (!c) return false;
        if (n.op == "=") return *c == 0;
        if (n.op == "!=") return *c != 0;
        if (n.op == "<") return *c < 0;
        if (n.op == "<=") return *c <= 0;
        if (n.op == ">") return *c > 0;
        return *c >= 0;
    }
    }
    return false;
}

void bind_node(AttributeFilter::Node& n, const Layer& layer, const std::string& what,
               const std::string& text) {
    using Kind = AttributeFilter::Node::Kind;
    if (n.a) bind_node(*n.a, layer, what, text);
    if (n.b) bind_node(*n.b, layer, what, text);
    if (n.kind == Kind::op_or || n.kind == Kind::op_and || n.kind == Kind::op_not) return;
    n.field = layer.roles.count(n.name) ? layer.role_index(n.name, false) : -1;
    if (n.field < 0) n.field = layer.field_index(n.name);
    if (n.field < 0) n.field = layer.role_index(n.name, false);
    if (n.field < 0) {
        std::string names;
        for (const auto& f : layer.fields)
            names += (names.empty() ? "" : ", ") + f.name;
        throw DataError(layer.where() + ": " + what + " \"" + text + "\" names '" + n.name +
                        "', which is neither a mapped role nor a field; fields: " + names);
    }
}

void collect(const AttributeFilter::Node& n, std::vector<int>& out) {
    if (n.a) collect(*n.a, out);
    if (n.b) collect(*n.b, out);
    if (n.field >= 0) out.push_back(n.field);
}

} // namespace

AttributeFilter::AttributeFilter() = default;
AttributeFilter::~AttributeFilter() = default;
AttributeFilter::AttributeFilter(AttributeFilter&&) noexcept = default;
AttributeFilter& AttributeFilter::operator=(AttributeFilter&&) noexcept = default;

AttributeFilter AttributeFilter::parse(std::string_view expr, std::string_view what) {
    AttributeFilter f;
    f.text_ = std::string(expr);
    f.what_ = std::string(what);
    bool blank =
        std::all_of(expr.begin(), expr.end(), [](unsigned char c) { return std::isspace(c); });
    if (blank) throw UsageError(std::string(what) + ": the filter is empty");
    f.root_ = Parser(f.text_, what).parse();
    return f;
}

void AttributeFilter::bind(const Layer& layer) {
    if (!root_) throw std::logic_error("AttributeFilter::bind before parse");
    bind_node(*root_, layer, what_, text_);
}

bool AttributeFilter::matches(const std::vector<Value>& values) const {
    return eval(*root_, values);
}

std::vector<int> AttributeFilter::fields_used() const {
    std::vector<int> out;
    if (root_) collect(*root_, out);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

} // namespace soilrisk::io
