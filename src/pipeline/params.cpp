#include "soilrisk/pipeline/params.hpp"

#include <algorithm>
#include <cmath>

#include "soilrisk/core/error.hpp"
#include "soilrisk/core/units.hpp"

namespace soilrisk::pipeline {

namespace {

std::size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j)
        prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j)
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

const char* kind_name(Params::Entry::Kind k) {
    switch (k) {
    case Params::Entry::Kind::string:
        return "a string";
    case Params::Entry::Kind::number:
        return "a number";
    case Params::Entry::Kind::boolean:
        return "true/false";
    case Params::Entry::Kind::string_list:
        return "a list of strings";
    case Params::Entry::Kind::number_list:
        return "a list of numbers";
    case Params::Entry::Kind::table:
        return "a table";
    }
    return "a value";
}

} // namespace

const Params::Entry* Params::find(const std::string& key) const {
    const auto it = entries_.find(key);
    if (it == entries_.end()) return nullptr;
    it->second.used = true;
    return &it->second;
}

void Params::wrong_type(const std::string& key, const char* expected) const {
    throw UsageError(where_ + ": '" + key + "' must be " + expected + ", not " +
                     kind_name(entries_.at(key).kind));
}

std::optional<std::string> Params::string(const std::string& key) const {
    const Entry* e = find(key);
    if (!e) return std::nullopt;
    if (e->kind != Entry::Kind::string) wrong_type(key, "a string");
    return e->text;
}

std::string Params::string_or(const std::string& key, const std::string& fallback) const {
    return string(key).value_or(fallback);
}

std::string Params::require_string(const std::string& key) const {
    auto s = string(key);
    if (!s || s->empty()) throw UsageError(where_ + ": '" + key + "' is required");
    return *s;
}

std::optional<double> Params::length(const std::string& key) const {
    const Entry* e = find(key);
    if (!e) return std::nullopt;
    if (e->kind == Entry::Kind::number) {
        if (!(e->number >= 0) || !std::isfinite(e->number))
            throw UsageError(where_ + ": '" + key + "' must be a non-negative length");
        return e->number;
    }
    if (e->kind == Entry::Kind::string) return parse_length(e->text, where_ + ": '" + key + "'");
    wrong_type(key, "a length (e.g. 500 or \"2km\")");
}

double Params::length_or(const std::string& key, double fallback) const {
    return length(key).value_or(fallback);
}

std::vector<double> Params::lengths_or(const std::string& key,
                                       const std::vector<double>& fallback) const {
    const Entry* e = find(key);
    if (!e) return fallback;
    const std::string what = where_ + ": '" + key + "'";
    if (e->kind == Entry::Kind::string) return parse_length_list(e->text, what);
    std::vector<double> out;
    if (e->kind == Entry::Kind::number_list) {
        out = e->numbers;
    } else if (e->kind == Entry::Kind::string_list) {
        for (const auto& s : e->strings)
            out.push_back(parse_length(s, what));
    } else {
        wrong_type(key, "a list of lengths (e.g. [0, 500, 1000] or \"0,500,1km\")");
    }
    for (std::size_t i = 0; i < out.size(); ++i)
        if (!(out[i] >= 0) || (i && !(out[i] > out[i - 1])))
            throw UsageError(what + " must list increasing non-negative distances");
    return out;
}

double Params::number_or(const std::string& key, double fallback) const {
    const Entry* e = find(key);
    if (!e) return fallback;
    if (e->kind != Entry::Kind::number) wrong_type(key, "a number");
    return e->number;
}

long long Params::integer_or(const std::string& key, long long fallback) const {
    const Entry* e = find(key);
    if (!e) return fallback;
    // Beyond ±2^63 (e.g. 1e30) a conversion would be undefined (found by fuzz_project).
    if (e->kind != Entry::Kind::number || e->number != std::floor(e->number) ||
        !(e->number >= -0x1p63 && e->number < 0x1p63))
        wrong_type(key, "an integer");
    return static_cast<long long>(e->number);
}

bool Params::bool_or(const std::string& key, bool fallback) const {
    const Entry* e = find(key);
    if (!e) return fallback;
    if (e->kind != Entry::Kind::boolean) wrong_type(key, "true or false");
    return e->boolean;
}

std::vector<std::string> Params::strings(const std::string& key) const {
    const Entry* e = find(key);
    if (!e) return {};
    if (e->kind == Entry::Kind::string) return {e->text};
    if (e->kind == Entry::Kind::string_list || e->kind == Entry::Kind::number_list)
        return e->strings;
    wrong_type(key, "a string or a list of strings");
}

std::map<std::string, std::string> Params::table(const std::string& key) const {
    const Entry* e = find(key);
    if (!e) return {};
    if (e->kind != Entry::Kind::table) wrong_type(key, "a table, e.g. { category = \"LB\" }");
    return e->table;
}

std::string Params::text(const std::string& key) const {
    const auto it = entries_.find(key);
    if (it == entries_.end()) return {};
    const Entry& e = it->second;
    std::string out;
    switch (e.kind) {
    case Entry::Kind::string_list:
    case Entry::Kind::number_list:
        for (const auto& s : e.strings)
            out += (out.empty() ? "" : ", ") + s;
        return "[" + out + "]";
    case Entry::Kind::table:
        for (const auto& [k, v] : e.table)
            out += (out.empty() ? "" : ", ") + k + " = " + v;
        return "{ " + out + " }";
    default:
        return e.text;
    }
}

std::vector<std::string> Params::keys() const {
    std::vector<std::string> out;
    for (const auto& [k, v] : entries_)
        out.push_back(k);
    return out;
}

void Params::check_keys(const std::vector<std::string>& known) const {
    for (const auto& [key, entry] : entries_) {
        if (std::find(known.begin(), known.end(), key) != known.end()) continue;
        std::string best;
        std::size_t best_d = 4;
        for (const auto& k : known) {
            const std::size_t d = edit_distance(key, k);
            if (d < best_d) {
                best_d = d;
                best = k;
            }
        }
        std::string msg = where_ + ": unknown key '" + key + "'";
        if (!best.empty()) msg += "; did you mean '" + best + "'?";
        std::string all;
        for (const auto& k : known)
            all += (all.empty() ? "" : ", ") + k;
        msg += " (known keys: " + all + ")";
        throw UsageError(msg);
    }
}

} // namespace soilrisk::pipeline
