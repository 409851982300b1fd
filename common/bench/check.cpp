// Implementation of check.hpp.
#include "check.hpp"

#include <cmath>
#include <cstdio>

namespace bench {
namespace {

constexpr double kKiBPerMiB = 1024;

std::string ms(double value) {
    return with_commas(std::llround(value)) + " ms";
}

std::string percent(double ratio) {
    char text[32];
    std::snprintf(text, sizeof text, "%+.1f%%", (ratio - 1) * 100);
    return text;
}

// " (runs 1,277–1,308 ms and 1,393–1,578 ms overlap: within the noise)" when two cells' elapsed
// ranges overlap, so a reader can tell a real difference from a coin toss; "" otherwise.
std::string overlap_note(const Cell& a, const Cell& b) {
    const Stat* ta = a.stat("elapsed_ms");
    const Stat* tb = b.stat("elapsed_ms");
    if (ta == nullptr || tb == nullptr || !ta->min || !tb->min || *ta->max < *tb->min ||
        *tb->max < *ta->min) {
        return {};
    }
    const auto range = [](const Stat& t) {
        return with_commas(std::llround(*t.min)) + "–" + with_commas(std::llround(*t.max));
    };
    return " (runs " + range(*ta) + " ms and " + range(*tb) + " ms overlap: within the noise)";
}

// The cell of `row` when all its runs succeeded; otherwise nullopt and `why` says what is wrong.
const Cell* usable(const std::vector<Cell>& cells, const std::string& row, std::size_t requests,
                   std::string& why) {
    const Cell* cell = find_cell(cells, row, requests);
    const std::string where = row + " at " + with_commas(static_cast<long long>(requests));
    if (cell == nullptr) {
        why = where + " was not measured";
    } else if (!cell->not_run.empty()) {
        why = where + " was not run: " + cell->not_run;
    } else if (!cell->all_ok()) {
        why = where + ": " + std::to_string(cell->runs - cell->ok) + " of " +
              std::to_string(cell->runs) + " runs failed: " + cell->failure;
    } else if (!cell->median("elapsed_ms") || !cell->median("peak_rss_kib")) {
        why = where + ": no elapsed_ms or peak_rss_kib";
    } else {
        return cell;
    }
    return nullptr;
}

Figure memory_under(const std::vector<Cell>& cells, const std::string& row, std::size_t requests,
                    double limit_mib) {
    const std::string name =
        row + " peak RSS under " + std::to_string(std::lround(limit_mib)) + " MiB";
    std::string why;
    const Cell* cell = usable(cells, row, requests, why);
    if (cell == nullptr) {
        return {false, false, name + ": " + why};
    }
    const double kib = *cell->median("peak_rss_kib");
    return {kib < limit_mib * kKiBPerMiB, false, name + ": " + mib(kib)};
}

Figure time_within(const std::vector<Cell>& cells, const std::string& row, std::size_t requests,
                   double tolerance) {
    const std::string name =
        row + " elapsed within " + std::to_string(std::lround(tolerance * 100)) + "% of ch02's";
    std::string why;
    const Cell* cell = usable(cells, row, requests, why);
    const Cell* base = cell ? usable(cells, "ch02", requests, why) : nullptr;
    if (cell == nullptr || base == nullptr) {
        return {false, false, name + ": " + why};
    }
    const double t = *cell->median("elapsed_ms");
    const double t2 = *base->median("elapsed_ms");
    return {t <= t2 * (1 + tolerance), false,
            name + ": " + ms(t) + " against " + ms(t2) + " (" + percent(t / t2) + ")" +
                overlap_note(*cell, *base)};
}

Figure ahead_of_asio(const std::vector<Cell>& cells, const std::string& row, std::size_t requests,
                     const Cell& asio, bool on_time) {
    const std::string name = row + " ahead of asio on " + (on_time ? "time" : "memory");
    std::string why;
    const Cell* cell = usable(cells, row, requests, why);
    if (cell == nullptr) {
        return {false, false, name + ": " + why};
    }
    const char* key = on_time ? "elapsed_ms" : "peak_rss_kib";
    const double mine = *cell->median(key);
    const double theirs = *asio.median(key);
    const std::string shown = on_time
                                  ? ms(mine) + " against " + ms(theirs) + overlap_note(*cell, asio)
                                  : mib(mine) + " against " + mib(theirs);
    return {mine < theirs, false, name + ": " + shown};
}

} // namespace

std::vector<Figure> check_figures(const std::vector<Cell>& cells, std::size_t requests) {
    std::vector<Figure> figures;
    figures.push_back(memory_under(cells, "ch02", requests, 8));
    figures.push_back(memory_under(cells, "ch04", requests, 8));
    figures.push_back(memory_under(cells, "ch05", requests, 10));
    figures.push_back(time_within(cells, "ch04", requests, 0.10));
    figures.push_back(time_within(cells, "ch05", requests, 0.10));

    const Cell* asio_cell = find_cell(cells, "asio", requests);
    if (asio_cell == nullptr || !asio_cell->not_run.empty()) {
        figures.push_back({false, true,
                           "ahead of asio: skipped, there is no asio row at " +
                               with_commas(static_cast<long long>(requests)) +
                               " (asio was not found when the build was configured, or the "
                               "row was not asked for)"});
        return figures;
    }
    std::string why;
    if (usable(cells, "asio", requests, why) == nullptr) {
        figures.push_back({false, false, "ahead of asio: cannot compare, " + why});
        return figures;
    }
    for (const char* row : {"ch02", "ch04", "ch05"}) {
        figures.push_back(ahead_of_asio(cells, row, requests, *asio_cell, true));
        figures.push_back(ahead_of_asio(cells, row, requests, *asio_cell, false));
    }
    return figures;
}

std::string check_text(const std::vector<Cell>& cells, std::size_t requests, long delay_ms,
                       int& missed) {
    std::string out = "check: the targets at " + with_commas(static_cast<long long>(requests)) +
                      " requests x " + std::to_string(delay_ms) + " ms" +
                      (delay_ms == 1000 ? "" : " (they were set for 1000 ms)") + "\n";
    missed = 0;
    for (const Figure& f : check_figures(cells, requests)) {
        out += (f.skipped ? "  skip   " : f.met ? "  met    " : "  MISSED ") + f.text + "\n";
        missed += (!f.met && !f.skipped) ? 1 : 0;
    }
    out += missed == 0 ? "check: every target met"
                       : "check: " + std::to_string(missed) + " target" + (missed == 1 ? "" : "s") +
                             " missed";
    return out;
}

} // namespace bench
