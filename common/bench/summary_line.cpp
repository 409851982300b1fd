// Implementation of summary_line.hpp.
#include "summary_line.hpp"

#include <charconv>

namespace bench {

std::optional<std::string_view> SummaryLine::get(std::string_view key) const {
    for (const auto& [k, v] : fields) {
        if (k == key) {
            return std::string_view(v);
        }
    }
    return std::nullopt;
}

std::optional<double> SummaryLine::number(std::string_view key) const {
    const auto text = get(key);
    if (!text || text->empty()) {
        return std::nullopt;
    }
    double value = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc{} || end != text->data() + text->size()) {
        return std::nullopt;
    }
    return value;
}

std::optional<SummaryLine> parse_summary(std::string_view program_stdout) {
    constexpr std::string_view kPrefix = "summary: ";
    std::size_t start = 0;
    while (start < program_stdout.size()) {
        std::size_t end = program_stdout.find('\n', start);
        if (end == std::string_view::npos) {
            end = program_stdout.size();
        }
        std::string_view line = program_stdout.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        if (line.substr(0, kPrefix.size()) == kPrefix) {
            SummaryLine summary;
            std::string_view rest = line.substr(kPrefix.size());
            while (!rest.empty()) {
                const std::size_t space = rest.find(' ');
                const std::string_view token = rest.substr(0, space);
                rest =
                    space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
                if (token.empty()) {
                    continue;
                }
                const std::size_t eq = token.find('=');
                summary.fields.emplace_back(std::string(token.substr(0, eq)),
                                            eq == std::string_view::npos
                                                ? std::string{}
                                                : std::string(token.substr(eq + 1)));
            }
            return summary;
        }
        start = end + 1;
    }
    return std::nullopt;
}

} // namespace bench
