// Implementation of common/json.hpp: a recursive-descent parser, one function per JSON value.
#include "common/json.hpp"

#include <cstdlib>
#include <string>

namespace common::json {
namespace {

class Parser {
public:
    explicit Parser(std::string_view text) : text_(text) {}

    Value document() {
        Value v = value(0);
        skip_space();
        if (pos_ != text_.size()) {
            fail("end of text");
        }
        return v;
    }

private:
    // Deep nesting would overflow the stack of a recursive parser; no trace nests this deep.
    static constexpr int kMaxDepth = 200;

    [[noreturn]] void fail(const std::string& expected) const {
        throw ParseError("json: expected " + expected + " at byte " + std::to_string(pos_));
    }

    void skip_space() {
        while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' ||
                                       text_[pos_] == '\r' || text_[pos_] == '\t')) {
            ++pos_;
        }
    }

    bool consume(char c) {
        skip_space();
        if (pos_ < text_.size() && text_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }

    void expect(char c) {
        if (!consume(c)) {
            fail(std::string("'") + c + "'");
        }
    }

    bool literal(std::string_view word) {
        if (text_.substr(pos_, word.size()) == word) {
            pos_ += word.size();
            return true;
        }
        return false;
    }

    Value value(int depth) {
        if (depth > kMaxDepth) {
            fail("less nesting");
        }
        skip_space();
        if (pos_ >= text_.size()) {
            fail("a value");
        }
        Value v;
        const char c = text_[pos_];
        if (c == '{') {
            ++pos_;
            v.kind = Value::Kind::Object;
            if (consume('}')) {
                return v;
            }
            do {
                skip_space();
                std::string key = string();
                expect(':');
                v.object.insert_or_assign(std::move(key), value(depth + 1));
            } while (consume(','));
            expect('}');
        } else if (c == '[') {
            ++pos_;
            v.kind = Value::Kind::Array;
            if (consume(']')) {
                return v;
            }
            do {
                v.array.push_back(value(depth + 1));
            } while (consume(','));
            expect(']');
        } else if (c == '"') {
            v.kind = Value::Kind::String;
            v.string = string();
        } else if (literal("true") || literal("false")) {
            v.kind = Value::Kind::Bool;
            v.boolean = c == 't';
        } else if (literal("null")) {
            v.kind = Value::Kind::Null;
        } else {
            v.kind = Value::Kind::Number;
            v.number = number();
        }
        return v;
    }

    std::string string() {
        if (pos_ >= text_.size() || text_[pos_] != '"') {
            fail("a string");
        }
        ++pos_;
        std::string out;
        for (;;) {
            if (pos_ >= text_.size()) {
                fail("the end of the string");
            }
            const char c = text_[pos_++];
            if (c == '"') {
                return out;
            }
            if (static_cast<unsigned char>(c) < 0x20) {
                fail("no control character in a string");
            }
            if (c != '\\') {
                out += c;
                continue;
            }
            if (pos_ >= text_.size()) {
                fail("an escape");
            }
            const char e = text_[pos_++];
            switch (e) {
            case '"':
                out += '"';
                break;
            case '\\':
                out += '\\';
                break;
            case '/':
                out += '/';
                break;
            case 'b':
                out += '\b';
                break;
            case 'f':
                out += '\f';
                break;
            case 'n':
                out += '\n';
                break;
            case 'r':
                out += '\r';
                break;
            case 't':
                out += '\t';
                break;
            case 'u': {
                if (pos_ + 4 > text_.size()) {
                    fail("four hex digits");
                }
                const std::string hex(text_.substr(pos_, 4));
                char* end = nullptr;
                const long code = std::strtol(hex.c_str(), &end, 16);
                if (end != hex.c_str() + 4) {
                    fail("four hex digits");
                }
                pos_ += 4;
                out += code < 0x80 ? static_cast<char>(code) : '?';
                break;
            }
            default:
                fail("a known escape");
            }
        }
    }

    double number() {
        const std::size_t start = pos_;
        if (pos_ < text_.size() && text_[pos_] == '-') {
            ++pos_;
        }
        const auto digits = [&] {
            const std::size_t from = pos_;
            while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
                ++pos_;
            }
            return pos_ > from;
        };
        if (!digits()) {
            fail("a value");
        }
        if (pos_ < text_.size() && text_[pos_] == '.') {
            ++pos_;
            if (!digits()) {
                fail("digits after '.'");
            }
        }
        if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
            ++pos_;
            if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) {
                ++pos_;
            }
            if (!digits()) {
                fail("an exponent");
            }
        }
        return std::strtod(std::string(text_.substr(start, pos_ - start)).c_str(), nullptr);
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

} // namespace

const Value* Value::find(std::string_view key) const {
    if (kind != Kind::Object) {
        return nullptr;
    }
    const auto it = object.find(key);
    return it == object.end() ? nullptr : &it->second;
}

const std::string& Value::str(std::string_view key) const {
    const Value* v = find(key);
    if (v == nullptr || v->kind != Kind::String) {
        throw std::runtime_error("json: no string member '" + std::string(key) + "'");
    }
    return v->string;
}

double Value::num(std::string_view key) const {
    const Value* v = find(key);
    if (v == nullptr || v->kind != Kind::Number) {
        throw std::runtime_error("json: no number member '" + std::string(key) + "'");
    }
    return v->number;
}

Value parse(std::string_view text) {
    return Parser(text).document();
}

} // namespace common::json
