#include "smt/core/error.h"

#include <filesystem>

namespace smt {

namespace {
constexpr char kParamBegin = '\x01', kParamEnd = '\x02';
}

std::string param(std::string_view table_name) {
  std::string s;
  s += kParamBegin;
  s += table_name;
  s += kParamEnd;
  return s;
}

std::string render_message(const std::string& raw, Spelling spelling) {
  std::string out;
  out.reserve(raw.size() + 8);
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != kParamBegin) {
      out += raw[i];
      continue;
    }
    const std::size_t end = raw.find(kParamEnd, i + 1);
    if (end == std::string::npos) break;
    std::string name = raw.substr(i + 1, end - i - 1);
    if (spelling == Spelling::kCli) {
      out += "--" + name;
    } else if (spelling == Spelling::kPython) {
      for (char& c : name)
        if (c == '-') c = '_';
      out += name;
    } else {
      out += name;
    }
    i = end;
  }
  return out;
}

void throw_error(const char* file, int line, const std::string& message) {
  // The message comes first: it is what the user reads. The source location
  // is kept for bug reports.
  throw Error(message + " (" + std::filesystem::path(file).filename().string() + ":" +
              std::to_string(line) + ")");
}

}  // namespace smt
