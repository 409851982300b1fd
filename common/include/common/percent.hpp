// Percent-encoding of URL paths (RFC 3986): the delay server decodes the message part of the path,
// clients encode it so any text (spaces, slashes, UTF-8) survives the trip.
#pragma once

#include <string>
#include <string_view>

namespace common {

// "%41b%2Fc" -> "Ab/c". Throws std::invalid_argument("malformed percent escape at offset N") for a
// '%' not followed by two hex digits. '+' is left alone (that rule belongs to forms, not paths).
std::string percent_decode(std::string_view text);

// Encodes every byte except unreserved characters (A-Z a-z 0-9 - . _ ~) and '/'.
std::string percent_encode(std::string_view text);

} // namespace common
