// Line-at-a-time output. Several threads print in chapters 1 and 4; a whole line goes out in one
// write under one lock, so lines never interleave halfway.
#pragma once

#include <string_view>

namespace common {

void println(std::string_view line);  // stdout, flushed
void eprintln(std::string_view line); // stderr

} // namespace common
