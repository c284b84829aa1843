// Parameters of one project-file step (or table), with typed access and a check that
// every key given was used, so that a misspelt key is an error rather than ignored.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace soilrisk::pipeline {

class Params {
  public:
    /// One value as written in the file.
    struct Entry {
        enum class Kind { string, number, boolean, string_list, number_list, table } kind;
        std::string text; ///< string, or the number/boolean as written
        double number = 0;
        bool boolean = false;
        std::vector<std::string> strings;         ///< string_list (number_list: as text too)
        std::vector<double> numbers;              ///< number_list
        std::map<std::string, std::string> table; ///< inline table of strings
        mutable bool used = false;
    };

    Params() = default;
    /// `where` names the place for messages, e.g. "project.toml, step 2 (near)".
    explicit Params(std::string where) : where_(std::move(where)) {}

    void set(const std::string& key, Entry e) { entries_[key] = std::move(e); }
    bool has(const std::string& key) const { return entries_.count(key) > 0; }
    const std::string& where() const { return where_; }

    std::optional<std::string> string(const std::string& key) const;
    std::string string_or(const std::string& key, const std::string& fallback) const;
    std::string require_string(const std::string& key) const;
    /// A length: number (metres) or text with unit ("500m", "10km").
    double length_or(const std::string& key, double fallback) const;
    std::optional<double> length(const std::string& key) const;
    /// A list of lengths: array of numbers/strings or one comma-separated string.
    std::vector<double> lengths_or(const std::string& key,
                                   const std::vector<double>& fallback) const;
    double number_or(const std::string& key, double fallback) const;
    long long integer_or(const std::string& key, long long fallback) const;
    bool bool_or(const std::string& key, bool fallback) const;
    /// Array of strings, or one string (a one-element list).
    std::vector<std::string> strings(const std::string& key) const;
    /// Inline table of string values, e.g. fields = { category = "LB" }.
    std::map<std::string, std::string> table(const std::string& key) const;

    /// Throws UsageError naming the first key not in `known` (with the closest known key
    /// as a suggestion).
    void check_keys(const std::vector<std::string>& known) const;
    std::vector<std::string> keys() const;
    /// The value of `key` as written, for reports ("" when absent); does not mark it used.
    std::string text(const std::string& key) const;

  private:
    const Entry* find(const std::string& key) const;
    [[noreturn]] void wrong_type(const std::string& key, const char* expected) const;
    std::string where_;
    std::map<std::string, Entry> entries_;
};

} // namespace soilrisk::pipeline
