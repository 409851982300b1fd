// Reading the one `summary:` line a load-mode run prints on stdout (see common/load.hpp for the
// writer): `summary: chapter=ch02 requests=N ... threads=T [more key=value pairs]`. Part of the
// benchmark driver; keys it does not know are kept, as the output contract asks of readers.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bench {

struct SummaryLine {
    std::vector<std::pair<std::string, std::string>> fields; // in the order printed

    std::optional<std::string_view> get(std::string_view key) const;
    // The value as a number, when it is one.
    std::optional<double> number(std::string_view key) const;
};

// Finds the line that starts with "summary: " in a program's stdout and splits its key=value
// pairs (separated by spaces). nullopt when there is no such line; a token without '=' is kept
// with an empty value rather than dropped.
std::optional<SummaryLine> parse_summary(std::string_view program_stdout);

} // namespace bench
