// The one exception type of the library, and the checks that throw it.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace smt {

// How a message spells the parameters it names: by their table name
// (dict-size), as a command-line option (--dict-size) or as a Python keyword
// argument (dict_size).
enum class Spelling { kTable, kCli, kPython };

// A parameter named in a message, by its name in the parameter table
// (config.h); the front end that shows the message chooses the spelling.
std::string param(std::string_view table_name);

// The message with every param() reference spelled as asked.
std::string render_message(const std::string& raw, Spelling spelling);

// Every user-facing failure (bad input, impossible parameter, I/O error) is an
// smt::Error whose message names what failed and, where possible, the fix.
// what() spells parameters by their table names; message(kCli) and
// message(kPython) are for the front ends.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& raw)
      : std::runtime_error(render_message(raw, Spelling::kTable)), raw_(raw) {}
  std::string message(Spelling spelling) const { return render_message(raw_, spelling); }
  // The message with its param() markers, for rethrowing with more context.
  const std::string& raw() const { return raw_; }

 private:
  std::string raw_;
};

// Thrown when an Observer asks a running fit or transform to stop.
class Cancelled : public Error {
 public:
  using Error::Error;
};

namespace detail {
inline void append(std::ostringstream&) {}
template <typename T, typename... Rest>
void append(std::ostringstream& os, const T& v, const Rest&... rest) {
  os << v;
  append(os, rest...);
}
}  // namespace detail

// Builds a message from any streamable parts.
template <typename... Parts>
std::string str_cat(const Parts&... parts) {
  std::ostringstream os;
  detail::append(os, parts...);
  return os.str();
}

[[noreturn]] void throw_error(const char* file, int line, const std::string& message);

}  // namespace smt

// SMT_THROW(parts...): throw smt::Error with the concatenated message.
#define SMT_THROW(...) ::smt::throw_error(__FILE__, __LINE__, ::smt::str_cat(__VA_ARGS__))

// SMT_CHECK(cond, parts...): throw smt::Error carrying the failed expression
// and the message when cond is false.
#define SMT_CHECK(cond, ...)                                                         \
  do {                                                                               \
    if (!(cond))                                                                     \
      ::smt::throw_error(__FILE__, __LINE__,                                         \
                         ::smt::str_cat(__VA_ARGS__, " [check failed: " #cond "]")); \
  } while (0)
