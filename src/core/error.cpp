#include "smt/core/error.h"

#include <filesystem>

namespace smt {

void throw_error(const char* file, int line, const std::string& message) {
  // The message comes first: it is what the user reads. The source location
  // is kept for bug reports.
  throw Error(message + " (" + std::filesystem::path(file).filename().string() + ":" +
              std::to_string(line) + ")");
}

}  // namespace smt
