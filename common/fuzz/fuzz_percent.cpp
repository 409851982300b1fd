// libFuzzer target for common::percent_decode and common::percent_encode (common/percent.hpp): the
// delay server decodes the message part of every path it receives, clients encode it. Checks that
// decoding undoes encoding for any bytes, that the encoding is safe in a path, and that decoding
// arbitrary text either succeeds or throws std::invalid_argument, never anything else. Build and
// run: common/scripts/fuzz.sh (see common/RELIABILITY.md).
#include "common/percent.hpp"

#include "fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace {

using common::fuzz::check;

bool is_hex_upper(char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

// The encoder's promise: only unreserved characters, '/' and "%XX" with upper-case hex.
bool is_safe_encoding(std::string_view encoded) {
    for (std::size_t i = 0; i < encoded.size(); ++i) {
        const char c = encoded[i];
        if (c == '%') {
            if (i + 2 >= encoded.size()) {
                return false; // a '%' without two characters after it
            }
            if (!is_hex_upper(encoded[i + 1]) || !is_hex_upper(encoded[i + 2])) {
                return false;
            }
            i += 2;
        } else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     c == '-' || c == '.' || c == '_' || c == '~' || c == '/')) {
            return false;
        }
    }
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);

    // 1. Encoding: safe in a path, at most three bytes per input byte, and decoding undoes it.
    const std::string encoded = common::percent_encode(input);
    check(encoded.size() <= 3 * input.size(), "encoding at most triples the size");
    check(is_safe_encoding(encoded), "encoding holds only unreserved characters, '/' and %XX");
    check(common::percent_decode(encoded) == input, "percent_decode(percent_encode(x)) == x");

    // 2. Decoding arbitrary text (what a client may put in a path): a result, or
    //    std::invalid_argument naming the offset of a '%' — no other exception escapes.
    try {
        const std::string decoded = common::percent_decode(input);
        check(decoded.size() <= input.size(), "decoding never grows the text");
        if (input.find('%') == std::string_view::npos) {
            check(decoded == input, "text without '%' decodes to itself");
        }
        // Decoded text re-encodes to a canonical form that decodes back to the same bytes.
        check(common::percent_decode(common::percent_encode(decoded)) == decoded,
              "decoded text round-trips");
    } catch (const std::invalid_argument& e) {
        const std::string_view what = e.what();
        const std::string_view prefix = "malformed percent escape at offset ";
        check(what.substr(0, prefix.size()) == prefix, "error says 'malformed percent escape'");
        const std::string offset(what.substr(prefix.size()));
        check(!offset.empty() && offset.find_first_not_of("0123456789") == std::string::npos,
              "error names a numeric offset");
        const std::size_t at = std::stoul(offset);
        check(at < input.size() && input[at] == '%', "the named offset holds a '%'");
    }
    return 0;
}
