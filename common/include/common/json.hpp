// A small JSON reader: enough to read back the trace files common/trace.hpp writes (tracesvg
// draws them, the chapters' tests check them). It reads any well-formed JSON text into a tree of
// Values; it is not fast, keeps numbers as double, and reads \u escapes only for code points
// below 0x80 (the recorder writes no others) — simplifications a trace reader can afford.
#pragma once

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace common::json {

// Malformed JSON. The message says what was expected and at which byte offset.
class ParseError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct Value {
    enum class Kind { Null, Bool, Number, String, Array, Object };
    Kind kind = Kind::Null;
    bool boolean = false;
    double number = 0;
    std::string string;
    std::vector<Value> array;
    std::map<std::string, Value, std::less<>> object;

    // The member `key` of an object, or nullptr (also when this is not an object).
    const Value* find(std::string_view key) const;
    // Shorthands for a member of a known kind; they throw std::runtime_error when it is missing
    // or of another kind.
    const std::string& str(std::string_view key) const;
    double num(std::string_view key) const;
};

// Parses the whole of `text` (surrounding whitespace allowed). Throws ParseError.
Value parse(std::string_view text);

} // namespace common::json
