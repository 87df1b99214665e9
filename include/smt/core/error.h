// The one exception type of the library, and the checks that throw it.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace smt {

// Every user-facing failure (bad input, impossible parameter, I/O error) is an
// smt::Error whose message names what failed and, where possible, the fix.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
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
