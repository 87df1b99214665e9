// What this process uses of the machine, read from the kernel (/proc, getrusage),
// for the metrics of a run and the memory plan.
#pragma once

#include <cstdint>

namespace smt {

// Peak and current resident set size of this process, in bytes.
std::int64_t peak_rss_bytes();
std::int64_t current_rss_bytes();

// Bytes this process has caused to be written to storage (/proc/self/io
// write_bytes; -1 where the kernel does not report it).
std::int64_t disk_write_bytes();

}  // namespace smt
