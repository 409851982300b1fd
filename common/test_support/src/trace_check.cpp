// Implementation of trace_check.hpp.
#include "common/test_support/trace_check.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <tuple>

namespace common::test {
namespace {

std::string describe(const json::Value& e) {
    const json::Value* name = e.find("name");
    const json::Value* ph = e.find("ph");
    return std::string("event '") + (name ? name->string : "?") + "' (ph " +
           (ph ? ph->string : "?") + ")";
}

} // namespace

std::string read_file(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        throw std::runtime_error("cannot read " + path);
    }
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

const std::vector<json::Value>& trace_events(const json::Value& trace) {
    const json::Value* events = trace.find("traceEvents");
    if (events == nullptr || events->kind != json::Value::Kind::Array) {
        throw std::runtime_error("not a trace: no traceEvents array");
    }
    return events->array;
}

std::string thread_name(const json::Value& trace, double tid) {
    for (const json::Value& e : trace_events(trace)) {
        if (e.str("ph") == "M" && e.str("name") == "thread_name" && e.num("tid") == tid) {
            return e.find("args")->str("name");
        }
    }
    return "";
}

std::set<std::string> thread_names(const json::Value& trace) {
    std::set<std::string> out;
    for (const json::Value& e : trace_events(trace)) {
        if (e.str("ph") == "M" && e.str("name") == "thread_name") {
            out.insert(e.find("args")->str("name"));
        }
    }
    return out;
}

std::size_t reactor_handoffs(const json::Value& trace) {
    std::map<double, double> start_tid; // arrow id -> the thread it starts on
    for (const json::Value& e : trace_events(trace)) {
        if (e.str("ph") == "s") {
            start_tid[e.num("id")] = e.num("tid");
        }
    }
    std::size_t n = 0;
    for (const json::Value& e : trace_events(trace)) {
        if (e.str("ph") == "f") {
            const double from = start_tid.at(e.num("id"));
            n += thread_name(trace, from) == "reactor" && from != e.num("tid");
        }
    }
    return n;
}

std::vector<std::string> trace_format_problems(const json::Value& trace) {
    std::vector<std::string> problems;
    const json::Value* events = trace.find("traceEvents");
    if (events == nullptr || events->kind != json::Value::Kind::Array) {
        return {"no traceEvents array"};
    }
    struct Interval {
        double from;
        double to;
    };
    std::map<double, std::vector<Interval>> spans; // by tid
    std::map<double, int> starts;                  // arrow id -> 's' count
    std::map<double, int> ends;                    // arrow id -> 'f' count
    std::map<double, bool> named;                  // tid -> has a thread_name
    for (const json::Value& e : events->array) {
        bool complete = true;
        for (const char* key : {"ph", "ts", "pid", "tid"}) {
            if (e.find(key) == nullptr) {
                problems.push_back(describe(e) + " has no " + key);
                complete = false;
            }
        }
        if (!complete) {
            continue;
        }
        const std::string& ph = e.str("ph");
        const double tid = e.num("tid");
        if (ph == "M") {
            if (e.str("name") == "thread_name") {
                named[tid] = true;
            }
            continue;
        }
        named.try_emplace(tid, false);
        if (ph == "X") {
            const json::Value* dur = e.find("dur");
            if (dur == nullptr || dur->kind != json::Value::Kind::Number || dur->number < 0) {
                problems.push_back(describe(e) + " has no duration >= 0");
                continue;
            }
            spans[tid].push_back(Interval{e.num("ts"), e.num("ts") + dur->number});
        } else if (ph == "s" || ph == "f") {
            if (e.find("id") == nullptr) {
                problems.push_back(describe(e) + " has no id");
                continue;
            }
            ++(ph == "s" ? starts : ends)[e.num("id")];
        } else if (ph == "B" || ph == "E") {
            problems.push_back(describe(e) + ": this recorder writes complete spans only");
        } else if (ph != "i") {
            problems.push_back(describe(e) + ": unknown phase");
        }
    }
    for (auto& [tid, intervals] : spans) {
        std::sort(intervals.begin(), intervals.end(), [](const Interval& a, const Interval& b) {
            return a.from != b.from ? a.from < b.from : a.to > b.to;
        });
        std::vector<double> open_ends;
        for (const Interval& i : intervals) {
            while (!open_ends.empty() && open_ends.back() <= i.from) {
                open_ends.pop_back();
            }
            // 1 ns of slack: the file's microseconds have three decimals.
            if (!open_ends.empty() && i.to > open_ends.back() + 0.001) {
                problems.push_back("thread " + std::to_string(tid) + ": a span from " +
                                   std::to_string(i.from) + " ends after the span around it");
            }
            open_ends.push_back(i.to);
        }
    }
    for (const auto& [id, n] : starts) {
        if (n != 1 || ends[id] != 1) {
            problems.push_back("arrow " + std::to_string(id) + ": " + std::to_string(n) +
                               " starts, " + std::to_string(ends[id]) + " ends");
        }
    }
    for (const auto& [id, n] : ends) {
        if (starts.count(id) == 0) {
            problems.push_back("arrow " + std::to_string(id) + ": an end without a start");
        }
    }
    for (const auto& [tid, has_name] : named) {
        if (!has_name) {
            problems.push_back("thread " + std::to_string(tid) + " has events but no name");
        }
    }
    return problems;
}

std::vector<std::string> xml_problems(std::string_view xml) {
    std::vector<std::string> problems;
    std::vector<std::string> open;
    int roots = 0;
    std::size_t pos = 0;
    const auto check_text = [&](std::string_view text) {
        for (std::size_t i = 0; i < text.size(); ++i) {
            if (text[i] == '&') {
                const std::size_t semi = text.find(';', i);
                const std::string_view entity =
                    semi == std::string_view::npos ? "" : text.substr(i, semi - i + 1);
                if (entity != "&lt;" && entity != "&gt;" && entity != "&amp;" &&
                    entity != "&quot;" && entity != "&apos;") {
                    problems.push_back("a stray '&' at byte " + std::to_string(i));
                }
            }
        }
    };
    while (pos < xml.size()) {
        const std::size_t lt = xml.find('<', pos);
        check_text(
            xml.substr(pos, lt == std::string_view::npos ? std::string_view::npos : lt - pos));
        if (lt == std::string_view::npos) {
            break;
        }
        const std::size_t gt = xml.find('>', lt);
        if (gt == std::string_view::npos) {
            problems.push_back("a tag that never ends at byte " + std::to_string(lt));
            break;
        }
        const std::string_view tag = xml.substr(lt + 1, gt - lt - 1);
        pos = gt + 1;
        if (tag.starts_with("?") || tag.starts_with("!")) {
            continue; // the XML declaration, a comment or a doctype
        }
        if (tag.starts_with("/")) {
            const std::string name(tag.substr(1));
            if (open.empty() || open.back() != name) {
                problems.push_back(
                    "</" + name + "> closes " +
                    (open.empty() ? std::string("nothing") : "<" + open.back() + ">"));
            } else {
                open.pop_back();
            }
            continue;
        }
        const bool self_closing = tag.ends_with("/");
        const std::string_view body = self_closing ? tag.substr(0, tag.size() - 1) : tag;
        const std::size_t name_end = body.find_first_of(" \n\t");
        const std::string name(body.substr(0, name_end));
        // Attributes: name="value" pairs, values without '<'.
        std::size_t i = name_end == std::string_view::npos ? body.size() : name_end;
        while (i < body.size()) {
            while (i < body.size() && (body[i] == ' ' || body[i] == '\n' || body[i] == '\t')) {
                ++i;
            }
            if (i >= body.size()) {
                break;
            }
            const std::size_t eq = body.find('=', i);
            if (eq == std::string_view::npos || eq + 1 >= body.size() || body[eq + 1] != '"') {
                problems.push_back("<" + name + ">: an attribute without a quoted value");
                break;
            }
            const std::size_t close = body.find('"', eq + 2);
            if (close == std::string_view::npos) {
                problems.push_back("<" + name + ">: an unterminated attribute value");
                break;
            }
            const std::string_view value = body.substr(eq + 2, close - eq - 2);
            if (value.find('<') != std::string_view::npos) {
                problems.push_back("<" + name + ">: '<' in an attribute value");
            }
            check_text(value);
            i = close + 1;
        }
        if (open.empty()) {
            ++roots;
        }
        if (!self_closing) {
            open.push_back(name);
        }
    }
    for (const std::string& name : open) {
        problems.push_back("<" + name + "> is never closed");
    }
    if (roots != 1) {
        problems.push_back(std::to_string(roots) + " root elements");
    }
    return problems;
}

} // namespace common::test

namespace common::test {

std::vector<std::string> wake_before_poll_problems(const json::Value& trace, std::size_t& polls,
                                                   std::size_t& caused) {
    polls = 0;
    caused = 0;
    const std::vector<json::Value>& events = trace_events(trace);
    std::vector<double> marks;
    std::map<double, const json::Value*> starts; // arrow id -> its 's'
    std::vector<const json::Value*> ends;        // every 'f'
    std::vector<const json::Value*> wakes;       // "wake task <id>" instants
    std::vector<const json::Value*> task_polls;  // "poll task <id>: ..." spans
    for (const json::Value& e : events) {
        const std::string& ph = e.str("ph");
        const json::Value* category = e.find("cat");
        if (ph == "i" && category != nullptr && category->string == "mark") {
            marks.push_back(e.num("ts"));
        } else if (ph == "i" && e.str("name").starts_with("wake task ")) {
            wakes.push_back(&e);
        } else if (ph == "s") {
            starts[e.num("id")] = &e;
        } else if (ph == "f") {
            ends.push_back(&e);
        } else if (ph == "X" && e.str("name").starts_with("poll task ")) {
            task_polls.push_back(&e);
        }
    }
    std::sort(task_polls.begin(), task_polls.end(), [](const json::Value* a, const json::Value* b) {
        return a->num("ts") < b->num("ts");
    });
    const auto part_of = [&](double ts) {
        return std::count_if(marks.begin(), marks.end(), [&](double m) { return m <= ts; });
    };
    std::map<std::tuple<double, double, long>, int> seen; // (tid, task id, part) -> polls so far
    std::vector<std::string> problems;
    for (const json::Value* poll : task_polls) {
        ++polls;
        const double tid = poll->num("tid");
        const double id = poll->find("args")->num("id");
        const double from = poll->num("ts");
        const double to = from + poll->num("dur");
        if (seen[{tid, id, part_of(from)}]++ == 0) {
            continue; // a task's first poll needs no wake: spawn queued it
        }
        bool found = false;
        for (const json::Value* end : ends) {
            if (end->num("tid") != tid || end->num("ts") < from || end->num("ts") > to) {
                continue;
            }
            const auto start = starts.find(end->num("id"));
            if (start == starts.end() || start->second->num("ts") > from) {
                continue;
            }
            const json::Value* s = start->second;
            found = std::any_of(wakes.begin(), wakes.end(), [&](const json::Value* w) {
                return w->num("tid") == s->num("tid") && w->num("ts") == s->num("ts") &&
                       w->find("args")->num("id") == id;
            });
            if (found) {
                break;
            }
        }
        if (found) {
            ++caused;
        } else {
            problems.push_back("'" + poll->str("name") + "' at " + std::to_string(from) +
                               " us on thread " + std::to_string(tid) +
                               " was not caused by a wake of its task");
        }
    }
    return problems;
}

} // namespace common::test

namespace common::test {

json::Value run_traced(const std::string& program, std::vector<std::string> args, ChildRun& run) {
    static int runs = 0;
    const std::string path =
        "/tmp/trace-" + std::to_string(::getpid()) + "-" + std::to_string(++runs) + ".json";
    args.push_back("--trace");
    args.push_back(path);
    run = run_child(program, args);
    std::string text;
    try {
        text = read_file(path);
    } catch (...) {
        std::remove(path.c_str());
        throw;
    }
    std::remove(path.c_str());
    return json::parse(text);
}

} // namespace common::test
