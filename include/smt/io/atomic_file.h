// Crash-safe file output: a file is either fully written or not there at all.
#pragma once

#include <functional>
#include <ostream>
#include <string>

namespace smt {

// Calls `write` with a binary stream onto a temporary file beside `path`
// (`<path>.tmp-<pid>-<random>`), flushes and fsyncs it, then renames it onto
// `path`, replacing any existing file in one step. On any failure (an exception
// from `write`, an I/O error, a failed rename) the temporary is removed, an
// existing file at `path` is left untouched, and smt::Error naming `path` is
// thrown.
void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& write);

}  // namespace smt
